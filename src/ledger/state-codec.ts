import * as v from 'valibot'
import { DecodeError, decodeCbor, encodeCbor } from '../encoding/cbor.ts'
import { toHex } from '../encoding/hash.ts'
import type { Address } from './address.ts'
import type { Account, EpochEnd, LedgerState, StakeSnapshot } from './ledger-state.ts'

/** States are written by this node itself, but a damaged store must still fail cleanly. */
const MAX_STATE_BYTES = 512 * 1024 * 1024

const integer = v.union([v.pipe(v.number(), v.safeInteger()), v.bigint()])
const bytes = v.instance(Uint8Array)
const AccountRow = v.tuple([v.string(), integer, v.number(), v.optional(bytes)])
const PoolRow = v.tuple([v.string(), integer, bytes])
const SnapshotSchema = v.strictObject({ pools: v.array(PoolRow), totalStake: integer })
const StateSchema = v.strictObject({
  accounts: v.array(AccountRow),
  tip: v.strictObject({ index: v.number(), slot: v.number(), hash: bytes }),
  evolvingNonce: bytes,
  candidateNonce: bytes,
  epochEnds: v.array(
    v.strictObject({
      firstEpoch: v.number(),
      lastEpoch: v.number(),
      snapshot: SnapshotSchema,
      candidateNonce: bytes,
    }),
  ),
})

function snapshotToWire(s: StakeSnapshot): unknown {
  return {
    pools: [...s.pools].map(([a, p]) => [a, p.stake, p.vrfKey]),
    totalStake: s.totalStake,
  }
}

/** Encodes a ledger state for a checkpoint. */
export function encodeState(state: LedgerState): Uint8Array {
  return encodeCbor({
    accounts: [...state.accounts].map(([a, acc]) =>
      acc.vrfKey === undefined ? [a, acc.balance, acc.nonce] : [a, acc.balance, acc.nonce, acc.vrfKey],
    ),
    tip: state.tip,
    evolvingNonce: state.evolvingNonce,
    candidateNonce: state.candidateNonce,
    epochEnds: state.epochEnds.map((e) => ({ ...e, snapshot: snapshotToWire(e.snapshot) })),
  })
}

/** Decodes a checkpoint written by encodeState; throws DecodeError when it is damaged. */
export function decodeState(data: Uint8Array): LedgerState {
  const parsed = v.safeParse(StateSchema, decodeCbor(data, MAX_STATE_BYTES, 'state checkpoint'))
  if (!parsed.success) throw new DecodeError(`damaged state checkpoint: ${parsed.issues[0].message}`)
  const w = parsed.output
  const accounts = new Map<Address, Account>()
  const vrfKeyOwners = new Map<string, Address>()
  for (const [address, balance, nonce, vrfKey] of w.accounts) {
    if (vrfKey !== undefined) vrfKeyOwners.set(toHex(vrfKey), address)
    accounts.set(
      address,
      vrfKey === undefined
        ? { balance: BigInt(balance), nonce }
        : { balance: BigInt(balance), nonce, vrfKey },
    )
  }
  const epochEnds: EpochEnd[] = w.epochEnds.map((e) => ({
    firstEpoch: e.firstEpoch,
    lastEpoch: e.lastEpoch,
    snapshot: {
      pools: new Map(e.snapshot.pools.map(([a, stake, vrfKey]) => [a, { stake: BigInt(stake), vrfKey }])),
      totalStake: BigInt(e.snapshot.totalStake),
    },
    candidateNonce: e.candidateNonce,
  }))
  const { tip, evolvingNonce, candidateNonce } = w
  return { accounts, tip, evolvingNonce, candidateNonce, vrfKeyOwners, epochEnds }
}
