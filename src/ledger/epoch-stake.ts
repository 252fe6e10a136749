// The stake at each epoch's end, kept by every node as its blocks settle: what a node that checks
// the header chain alone (no transactions) needs to check the leaders of the epochs after it.
import * as v from 'valibot'
import { epochOf } from '../consensus/slot-clock.ts'
import { decodeCbor, encodeCbor } from '../encoding/cbor.ts'
import { equalBytes, toHex } from '../encoding/hash.ts'
import { DecodeError } from '../errors.ts'
import type { Genesis } from '../genesis.ts'
import type { BatchOp } from '../ports.ts'
import type { BlockHeader } from './block.ts'
import { SnapshotMismatchError } from './errors.ts'
import type { LedgerState, StakeSnapshot } from './ledger-state.ts'
import { snapshotToWire, stakeFromWire } from './state-codec.ts'
import { type ConsensusPart, stateRootOf } from './state-root.ts'

/** Largest stake record: the pools of a chain, with room to spare. */
export const MAX_EPOCH_STAKE_BYTES = 1024 * 1024

/** The pools' stake after a block, and the accounts root that with it completes the block's state root. */
export interface EpochStake {
  accountsRoot: Uint8Array
  stake: StakeSnapshot
}

const EpochStakeSchema = v.strictObject({
  type: v.literal('stake'),
  accountsRoot: v.pipe(v.instance(Uint8Array), v.length(32)),
  stake: v.unknown(),
})

/** Where the stake after the last block of an epoch is kept, by that block's hash. */
export const epochStakeKey = (hash: Uint8Array): string => `e/${toHex(hash)}`

/** The record of the stake after `state`'s block (stored, and served as it is). */
export function encodeEpochStake(state: LedgerState): Uint8Array {
  return encodeCbor({ type: 'stake', accountsRoot: state.tree.root, stake: snapshotToWire(state.stake) })
}

/** Decodes a stake record from a peer or the store; DecodeError when malformed. */
export function decodeEpochStake(bytes: Uint8Array): EpochStake {
  const parsed = v.safeParse(EpochStakeSchema, decodeCbor(bytes, MAX_EPOCH_STAKE_BYTES, 'stake record'))
  if (!parsed.success) throw new DecodeError(`malformed stake record: ${parsed.issues[0].message}`)
  return { accountsRoot: parsed.output.accountsRoot, stake: stakeFromWire(parsed.output.stake) }
}

/** Records for states settling after `before`, oldest first: one for each whose block is the last of its epoch. */
export function epochStakeOps(
  before: LedgerState,
  settling: readonly LedgerState[],
  genesis: Genesis,
): BatchOp[] {
  const ops: BatchOp[] = []
  let previous = before
  for (const state of settling) {
    const crossed = epochOf(genesis, state.tip.slot) > epochOf(genesis, Math.max(previous.tip.slot, 0))
    if (crossed && previous.tip.index > 0)
      ops.push({ type: 'put', key: epochStakeKey(previous.tip.hash), value: encodeEpochStake(previous) })
    previous = state
  }
  return ops
}

/**
 * The stake after the block of `header` as `record` claims it, checked: with the nonces and epoch
 * ends the header chain led to (`part`), it must give the state root the header carries. Throws
 * SnapshotMismatchError (the peer lied) otherwise.
 */
export function checkEpochStake(
  header: BlockHeader,
  part: Omit<ConsensusPart, 'stake'>,
  record: EpochStake,
): StakeSnapshot {
  const root = stateRootOf(record.accountsRoot, { ...part, stake: record.stake })
  if (header.stateRoot === undefined || !equalBytes(root, header.stateRoot))
    throw new SnapshotMismatchError(
      `the stake claimed after block ${header.index} does not lead to its state root`,
    )
  return record.stake
}
