import * as v from 'valibot'
import { fromHex, toHex } from '../encoding/hash.ts'
import { DecodeError } from '../errors.ts'
import type { Block } from './block.ts'
import { type Transaction, txFromWire } from './transaction.ts'

/** A transaction as JSON: amounts as decimal strings, bytes as hex. */
export interface TransactionJson {
  hash?: string
  body: Record<string, string | number>
  publicKey: string
  signature: string
}

const decimal = v.pipe(v.string(), v.regex(/^-?\d{1,30}$/, 'must be a whole number as a decimal string'))
const hex = (bytes: number) =>
  v.pipe(
    v.string(),
    v.check((s) => fromHex(s)?.length === bytes, `must be ${bytes} bytes as ${bytes * 2} hex characters`),
  )

const TxJsonSchema = v.object({
  body: v.variant('type', [
    v.strictObject({
      type: v.literal('transfer'),
      chainId: v.string(),
      from: v.string(),
      to: v.string(),
      amount: decimal,
      fee: decimal,
      nonce: v.number(),
      memo: v.optional(v.string()),
    }),
    v.strictObject({
      type: v.literal('register-pool'),
      chainId: v.string(),
      from: v.string(),
      fee: decimal,
      nonce: v.number(),
      vrfKey: hex(32),
    }),
  ]),
  publicKey: hex(32),
  signature: hex(64),
})

/** The JSON form of a transaction (for the HTTP API and wallets). */
export function txToJson(tx: Transaction): TransactionJson {
  const body: Record<string, string | number> = {}
  for (const [key, value] of Object.entries(tx.body)) {
    if (value === undefined) continue
    body[key] =
      typeof value === 'bigint' ? value.toString() : value instanceof Uint8Array ? toHex(value) : value
  }
  return { hash: toHex(tx.hash), body, publicKey: toHex(tx.publicKey), signature: toHex(tx.signature) }
}

/** Parses a transaction from JSON with the same checks as from the wire; throws DecodeError naming the field. */
export function txFromJson(json: unknown): Transaction {
  const parsed = v.safeParse(TxJsonSchema, json)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    throw new DecodeError(`malformed transaction: ${v.getDotPath(issue) ?? 'value'}: ${issue.message}`)
  }
  const { body, publicKey, signature } = parsed.output
  const wire =
    body.type === 'transfer'
      ? { ...body, amount: BigInt(body.amount), fee: BigInt(body.fee) }
      : { ...body, fee: BigInt(body.fee), vrfKey: fromHex(body.vrfKey)! }
  if (wire.type === 'transfer' && wire.memo === undefined) delete wire.memo
  return txFromWire({ body: wire, publicKey: fromHex(publicKey)!, signature: fromHex(signature)! })
}

/** The JSON form of a block: header fields, hash, size, issuer and transactions. */
export function blockToJson(block: Block): Record<string, unknown> {
  const h = block.header
  return {
    hash: toHex(block.hash),
    index: h.index,
    slot: h.slot,
    prevHash: toHex(h.prevHash),
    bodyHash: toHex(h.bodyHash),
    issuer: toHex(h.issuer),
    vrfOutput: toHex(h.vrfOutput),
    vrfProof: toHex(h.vrfProof),
    protocolVersion: h.protocolVersion,
    ...(h.stateRoot && { stateRoot: toHex(h.stateRoot) }),
    signature: toHex(block.signature),
    size: block.size,
    txs: block.txs.map(txToJson),
  }
}
