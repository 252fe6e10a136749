import { hash } from '../encoding/hash.ts'
import type { Genesis } from '../genesis.ts'
import type { StakeSnapshot } from '../ledger/ledger-state.ts'
import type { ConsensusView } from './consensus-view.ts'
import { epochOf } from './slot-clock.ts'

/** What leader election in one epoch depends on. */
export interface EpochData {
  epoch: number
  /** Epoch nonce η: SHA-256("pp/epoch-nonce" ‖ candidate nonce at the end of epoch e−1 ‖ e as 8 bytes). */
  nonce: Uint8Array
  /** Pool stake at the end of epoch e−2 (genesis stake for epochs 0 and 1). */
  stake: StakeSnapshot
}

const NONCE_DOMAIN = new TextEncoder().encode('pp/epoch-nonce')
const cache = new WeakMap<ConsensusView, Map<number, EpochData>>()

/**
 * Leader-election data for `epoch`, as seen from a chain whose last block is `state`'s tip: the
 * stake at the end of epoch e−2 and the candidate nonce frozen 3k/f slots before the end of e−1.
 * The stake (with every pool's VRF key) is settled before any block that feeds the nonce is made,
 * so no key or stake can be chosen knowing the nonce it will meet (no grinding).
 */
export function epochData(state: ConsensusView, epoch: number, genesis: Genesis): EpochData {
  let perState = cache.get(state)
  const cached = perState?.get(epoch)
  if (cached !== undefined) return cached
  const tipEpoch = epochOf(genesis, Math.max(state.tip.slot, 0))
  const endOf = (e: number) =>
    state.epochEnds.find((end) => end.firstEpoch <= e && e <= end.lastEpoch) ?? state.epochEnds[0]
  const stake = tipEpoch <= epoch - 2 ? state.stake : endOf(epoch - 2).snapshot
  const candidate = tipEpoch <= epoch - 1 ? state.candidateNonce : endOf(epoch - 1).candidateNonce
  const message = new Uint8Array(NONCE_DOMAIN.length + 32 + 8)
  message.set(NONCE_DOMAIN)
  message.set(candidate, NONCE_DOMAIN.length)
  new DataView(message.buffer).setBigUint64(NONCE_DOMAIN.length + 32, BigInt(epoch))
  const data = { epoch, nonce: hash(message), stake }
  if (perState === undefined) {
    perState = new Map()
    cache.set(state, perState)
  }
  perState.set(epoch, data)
  return data
}

/** The VRF input for a slot: epoch nonce ‖ slot as 8 bytes, big-endian. */
export function vrfInput(nonce: Uint8Array, slot: number): Uint8Array {
  const alpha = new Uint8Array(nonce.length + 8)
  alpha.set(nonce)
  new DataView(alpha.buffer).setBigUint64(nonce.length, BigInt(slot))
  return alpha
}
