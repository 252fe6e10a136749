import { vrfProve, vrfVerify } from '../crypto/vrf.ts'
import { equalBytes, toHex } from '../encoding/hash.ts'
import type { Genesis } from '../genesis.ts'
import { addressOf } from '../ledger/address.ts'
import type { BlockHeader } from '../ledger/block.ts'
import type { LedgerState } from '../ledger/ledger-state.ts'
import type { ConsensusView } from './consensus-view.ts'
import { epochData, vrfInput } from './epoch-data.ts'
import { BadVrfError, NotLeaderError } from './errors.ts'
import { isSlotLeader } from './leader-threshold.ts'
import { epochOf } from './slot-clock.ts'

/** A producer's keys: the ed25519 secret that signs blocks and, in Praos, the VRF secret. */
export interface ProducerKeys {
  secret: Uint8Array
  publicKey: Uint8Array
  vrfSecret?: Uint8Array
}

/** Proof that a producer leads a slot: empty in BFT mode, the VRF output and proof in Praos. */
export interface Leadership {
  vrfOutput: Uint8Array
  vrfProof: Uint8Array
}

const NONE = new Uint8Array(0)

/** The BFT leader of a slot: the genesis producers in turn. */
export function bftLeader(genesis: Genesis, slot: number): Uint8Array {
  return genesis.bftKeys[slot % genesis.bftKeys.length]
}

/** Whether `keys` lead `slot` on the chain ending at `state`, with the proof to put in the header. */
export function checkLeadership(
  state: LedgerState,
  slot: number,
  keys: ProducerKeys,
  genesis: Genesis,
): Leadership | undefined {
  if (genesis.mode === 'bft')
    return equalBytes(bftLeader(genesis, slot), keys.publicKey)
      ? { vrfOutput: NONE, vrfProof: NONE }
      : undefined
  if (keys.vrfSecret === undefined) return undefined
  const data = epochData(state, epochOf(genesis, slot), genesis)
  const pool = data.stake.pools.get(addressOf(keys.publicKey))
  if (pool === undefined) return undefined
  const { proof, output } = vrfProve(keys.vrfSecret, vrfInput(data.nonce, slot))
  return isSlotLeader(output, pool.stake, data.stake.totalStake, genesis.activeSlotCoeff)
    ? { vrfOutput: output, vrfProof: proof }
    : undefined
}

/** Checks that a header's issuer was entitled to its slot; `parent` is the state after its parent block. */
export function verifyLeadership(parent: ConsensusView, header: BlockHeader, genesis: Genesis): void {
  const who = toHex(header.issuer).slice(0, 12)
  if (genesis.mode === 'bft') {
    if (!equalBytes(bftLeader(genesis, header.slot), header.issuer)) {
      throw new NotLeaderError(`block ${header.index}: ${who} is not the BFT leader of slot ${header.slot}`)
    }
    if (header.vrfOutput.length !== 0 || header.vrfProof.length !== 0)
      throw new BadVrfError('BFT blocks carry no VRF proof')
    return
  }
  const data = epochData(parent, epochOf(genesis, header.slot), genesis)
  const pool = data.stake.pools.get(addressOf(header.issuer))
  if (pool === undefined)
    throw new NotLeaderError(`block ${header.index}: ${who} is not a stake pool in epoch ${data.epoch}`)
  const output = vrfVerify(pool.vrfKey, vrfInput(data.nonce, header.slot), header.vrfProof)
  if (output === null || !equalBytes(output, header.vrfOutput)) {
    throw new BadVrfError(
      `block ${header.index}: the VRF proof of ${who} for slot ${header.slot} does not verify`,
    )
  }
  if (!isSlotLeader(output, pool.stake, data.stake.totalStake, genesis.activeSlotCoeff)) {
    throw new NotLeaderError(
      `block ${header.index}: ${who}'s VRF value is above its leader threshold for slot ${header.slot}`,
    )
  }
}
