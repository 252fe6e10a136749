import { hash } from '../encoding/hash.ts'
import type { Genesis } from '../genesis.ts'
import { type LedgerState, type StakeSnapshot, stakeSnapshot } from '../ledger/ledger-state.ts'
import { epochOf } from './slot-clock.ts'

/** What leader election in one epoch depends on. */
export interface EpochData {
  epoch: number
  /** Epoch nonce η: SHA-256("pp/epoch-nonce" ‖ evolving nonce at the end of epoch e−2 ‖ e as 8 bytes). */
  nonce: Uint8Array
  /** Pool stake at the end of epoch e−2 (genesis stake for epochs 0 and 1). */
  stake: StakeSnapshot
}

const NONCE_DOMAIN = new TextEncoder().encode('pp/epoch-nonce')
const cache = new WeakMap<LedgerState, Map<number, EpochData>>()

/**
 * Leader-election data for `epoch`, as seen from a chain whose last block is `state`'s tip. The
 * two-epoch lag means every block of an epoch is judged against the same, already settled data.
 */
export function epochData(state: LedgerState, epoch: number, genesis: Genesis): EpochData {
  let perState = cache.get(state)
  const cached = perState?.get(epoch)
  if (cached !== undefined) return cached
  const target = epoch - 2
  const tipEpoch = epochOf(genesis, Math.max(state.tip.slot, 0))
  const stake =
    tipEpoch <= target
      ? stakeSnapshot(state.accounts, state.evolvingNonce)
      : (state.epochEnds.find((e) => e.firstEpoch <= target && target <= e.lastEpoch)?.snapshot ??
        state.epochEnds[0].snapshot)
  const message = new Uint8Array(NONCE_DOMAIN.length + 32 + 8)
  message.set(NONCE_DOMAIN)
  message.set(stake.evolvingNonce, NONCE_DOMAIN.length)
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
