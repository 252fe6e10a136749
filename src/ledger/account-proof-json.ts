import * as v from 'valibot'
import { fromHex, toHex } from '../encoding/hash.ts'
import { DecodeError } from '../errors.ts'
import { isAddress } from './address.ts'
import type { ProvenAccount } from './proven-account.ts'

/** The JSON a proven read travels as (the HTTP API's `GET /accounts/<address>?proof=1`). */
export interface ProvenAccountJson {
  address: string
  account: { balance: string; nonce: number; vrfKey?: string } | null
  block: { index: number; hash: string }
  stateRoot: string
  proof: {
    siblings: string[]
    leaf?: { key: string; valueHash: string }
    evolvingNonce: string
    candidateNonce: string
    snapshotsHash: string
  }
}

const hex32 = v.pipe(
  v.string(),
  v.check((s) => fromHex(s)?.length === 32, 'must be 32 bytes as 64 hex characters'),
  v.transform((s) => fromHex(s)!),
)

const ProvenAccountSchema = v.object({
  address: v.pipe(
    v.string(),
    v.check((s) => isAddress(s), 'must be a pp-node address'),
  ),
  account: v.nullable(
    v.object({
      balance: v.pipe(v.string(), v.regex(/^\d{1,30}$/, 'must be a whole number as a decimal string')),
      nonce: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
      vrfKey: v.optional(hex32),
    }),
  ),
  block: v.object({ index: v.pipe(v.number(), v.safeInteger(), v.minValue(0)), hash: hex32 }),
  stateRoot: hex32,
  proof: v.object({
    siblings: v.pipe(v.array(hex32), v.maxLength(256)),
    leaf: v.optional(v.object({ key: hex32, valueHash: hex32 })),
    evolvingNonce: hex32,
    candidateNonce: hex32,
    snapshotsHash: hex32,
  }),
})

/** The JSON form of a proven read. */
export function provenAccountToJson(read: ProvenAccount): ProvenAccountJson {
  const { account, proof } = read
  return {
    address: read.address,
    account:
      account === undefined
        ? null
        : {
            balance: account.balance.toString(),
            nonce: account.nonce,
            ...(account.vrfKey && { vrfKey: toHex(account.vrfKey) }),
          },
    block: { index: read.block.index, hash: toHex(read.block.hash) },
    stateRoot: toHex(read.stateRoot),
    proof: {
      siblings: proof.tree.siblings.map(toHex),
      ...(proof.tree.leaf && {
        leaf: { key: toHex(proof.tree.leaf.key), valueHash: toHex(proof.tree.leaf.valueHash) },
      }),
      evolvingNonce: toHex(proof.evolvingNonce),
      candidateNonce: toHex(proof.candidateNonce),
      snapshotsHash: toHex(proof.snapshotsHash),
    },
  }
}

/** Parses a proven read's JSON (from a peer or a relay: untrusted); throws DecodeError naming the first bad field. */
export function provenAccountFromJson(json: unknown): ProvenAccount {
  const parsed = v.safeParse(ProvenAccountSchema, json)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    throw new DecodeError(`malformed account proof: ${v.getDotPath(issue) ?? 'value'}: ${issue.message}`)
  }
  const { address, account, block, stateRoot, proof } = parsed.output
  return {
    address,
    account:
      account === null
        ? undefined
        : {
            balance: BigInt(account.balance),
            nonce: account.nonce,
            ...(account.vrfKey && { vrfKey: account.vrfKey }),
          },
    block,
    stateRoot,
    proof: {
      tree: { siblings: proof.siblings, ...(proof.leaf && { leaf: proof.leaf }) },
      evolvingNonce: proof.evolvingNonce,
      candidateNonce: proof.candidateNonce,
      snapshotsHash: proof.snapshotsHash,
    },
  }
}
