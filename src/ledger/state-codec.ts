import * as v from 'valibot'
import { decodeCbor, encodeCbor } from '../encoding/cbor.ts'
import { DecodeError } from '../errors.ts'
import type { Account } from './account-layers.ts'
import type { Address } from './address.ts'
import type { ChainTip, EpochEnd, LedgerState, StakeSnapshot } from './ledger-state.ts'

/** Records are written by this node itself, but a damaged store must still fail cleanly. */
const MAX_ACCOUNT_BYTES = 256
const MAX_BASE_BYTES = 64 * 1024 * 1024

const integer = v.union([v.pipe(v.number(), v.safeInteger()), v.bigint()])
const bytes = v.instance(Uint8Array)
const AccountRow = v.tuple([integer, v.number(), v.optional(bytes)])
const PoolRow = v.tuple([v.string(), integer, bytes])
const SnapshotSchema = v.strictObject({ pools: v.array(PoolRow), totalStake: integer })
const EpochEndsSchema = v.array(
  v.strictObject({
    firstEpoch: v.number(),
    lastEpoch: v.number(),
    snapshot: SnapshotSchema,
    candidateNonce: bytes,
  }),
)
const BaseSchema = v.strictObject({
  tip: v.strictObject({ index: v.number(), slot: v.number(), hash: bytes }),
  stake: SnapshotSchema,
  evolvingNonce: bytes,
  candidateNonce: bytes,
  vrfKeyOwners: v.array(v.tuple([v.string(), v.string()])),
  epochEnds: EpochEndsSchema,
})

/** Everything of a settled state but its accounts (stored one per key) and what follows from them. */
export type BaseRecord = Omit<LedgerState, 'accounts' | 'tree' | 'stateRoot'>

/** A stake snapshot in its stored (and hashed) form. */
export function snapshotToWire(s: StakeSnapshot): unknown {
  return { pools: [...s.pools].map(([a, p]) => [a, p.stake, p.vrfKey]), totalStake: s.totalStake }
}

/** The pools' stake and the epoch ends from their wire form (as a snapshot manifest carries them); DecodeError when malformed. */
export function snapshotsFromWire(
  stake: unknown,
  epochEnds: unknown,
): Pick<LedgerState, 'stake' | 'epochEnds'> {
  const s = v.safeParse(SnapshotSchema, stake)
  const e = v.safeParse(EpochEndsSchema, epochEnds)
  if (!s.success) throw new DecodeError(`malformed stake: ${s.issues[0].message}`)
  if (!e.success) throw new DecodeError(`malformed epoch ends: ${e.issues[0].message}`)
  return { stake: snapshotFromWire(s.output), epochEnds: e.output.map(epochEndFromWire) }
}

/** The pools' stake from its wire form; DecodeError when malformed. */
export function stakeFromWire(stake: unknown): StakeSnapshot {
  const s = v.safeParse(SnapshotSchema, stake)
  if (!s.success) throw new DecodeError(`malformed stake: ${s.issues[0].message}`)
  return snapshotFromWire(s.output)
}

function epochEndFromWire(e: v.InferOutput<typeof EpochEndsSchema>[number]): EpochEnd {
  return {
    firstEpoch: e.firstEpoch,
    lastEpoch: e.lastEpoch,
    snapshot: snapshotFromWire(e.snapshot),
    candidateNonce: e.candidateNonce,
  }
}

function snapshotFromWire(w: v.InferOutput<typeof SnapshotSchema>): StakeSnapshot {
  return {
    pools: new Map(w.pools.map(([a, stake, vrfKey]) => [a as Address, { stake: BigInt(stake), vrfKey }])),
    totalStake: BigInt(w.totalStake),
  }
}

/** The epoch-end snapshots in their stored (and hashed) form. */
export function epochEndsToWire(epochEnds: readonly EpochEnd[]): unknown[] {
  return epochEnds.map((e) => ({ ...e, snapshot: snapshotToWire(e.snapshot) }))
}

/** Encodes one account for its own store key. */
export function encodeAccount(account: Account): Uint8Array {
  const { balance, nonce, vrfKey } = account
  return encodeCbor(vrfKey === undefined ? [balance, nonce] : [balance, nonce, vrfKey])
}

/** Decodes an account written by encodeAccount; throws DecodeError when it is damaged. */
export function decodeAccount(data: Uint8Array): Account {
  const parsed = v.safeParse(AccountRow, decodeCbor(data, MAX_ACCOUNT_BYTES, 'account'))
  if (!parsed.success) throw new DecodeError(`damaged account record: ${parsed.issues[0].message}`)
  const [balance, nonce, vrfKey] = parsed.output
  return vrfKey === undefined
    ? { balance: BigInt(balance), nonce }
    : { balance: BigInt(balance), nonce, vrfKey }
}

/** Encodes the non-account part of a settled state. */
export function encodeBase(state: BaseRecord): Uint8Array {
  return encodeCbor({
    tip: state.tip,
    stake: snapshotToWire(state.stake),
    evolvingNonce: state.evolvingNonce,
    candidateNonce: state.candidateNonce,
    vrfKeyOwners: [...state.vrfKeyOwners],
    epochEnds: epochEndsToWire(state.epochEnds),
  })
}

/** Decodes a record written by encodeBase; throws DecodeError when it is damaged. */
export function decodeBase(data: Uint8Array): BaseRecord {
  const parsed = v.safeParse(BaseSchema, decodeCbor(data, MAX_BASE_BYTES, 'settled state'))
  if (!parsed.success) throw new DecodeError(`damaged settled state: ${parsed.issues[0].message}`)
  const w = parsed.output
  const epochEnds = w.epochEnds.map(epochEndFromWire)
  const tip: ChainTip = w.tip
  return {
    tip,
    stake: snapshotFromWire(w.stake),
    evolvingNonce: w.evolvingNonce,
    candidateNonce: w.candidateNonce,
    vrfKeyOwners: new Map(w.vrfKeyOwners.map(([key, owner]) => [key, owner as Address])),
    epochEnds,
  }
}
