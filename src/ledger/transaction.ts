import { concatBytes } from '@noble/hashes/utils.js'
import * as v from 'valibot'
import { decodeCbor, encodeCbor } from '../encoding/cbor.ts'
import { hash } from '../encoding/hash.ts'
import { DecodeError } from '../errors.ts'
import { MAX_SUPPLY } from '../genesis.ts'
import type { CryptoPort } from '../ports.ts'
import { type Address, isAddress } from './address.ts'

/** Largest encoded transaction accepted from anywhere, memo included. */
export const MAX_TX_BYTES = 1024
/** Largest memo (UTF-8 bytes): free text an application attaches to a transfer. */
export const MAX_MEMO_BYTES = 256

/** Moves `amount` from `from` to `to`, paying `fee` to the block producer. */
export interface TransferBody {
  type: 'transfer'
  chainId: string
  from: Address
  to: Address
  amount: bigint
  fee: bigint
  nonce: number
  memo?: string
}

/** Makes the sender's account a stake pool with the given VRF public key (Praos leader election). */
export interface RegisterPoolBody {
  type: 'register-pool'
  chainId: string
  from: Address
  fee: bigint
  nonce: number
  vrfKey: Uint8Array
}

/** What the sender signs. */
export type TxBody = TransferBody | RegisterPoolBody

/** A signed transaction with its identifier. */
export interface Transaction {
  body: TxBody
  publicKey: Uint8Array
  signature: Uint8Array
  /** SHA-256 of the encoded body: the transaction's identifier. */
  hash: Uint8Array
}

const TX_DOMAIN = new TextEncoder().encode('pp/tx/1')

const integer = v.union([v.pipe(v.number(), v.safeInteger()), v.bigint()])
// Amounts are unsigned 64-bit on the chain; a larger magnitude is malformed, not merely unaffordable.
const amount = v.pipe(
  integer,
  // A safe integer is well inside the bound: only a bigint needs the comparison.
  v.check((n) => typeof n === 'number' || (n < MAX_SUPPLY && n > -MAX_SUPPLY), 'must be below 2^64'),
)
const bytesOf = (length: number) => v.pipe(v.instance(Uint8Array), v.length(length))
const address = v.custom<Address>(isAddress, 'not a pp-node address')
const nonce = v.pipe(v.number(), v.safeInteger(), v.minValue(0))
const chainId = v.pipe(v.string(), v.maxLength(64))

const BodySchema = v.variant('type', [
  v.strictObject({
    type: v.literal('transfer'),
    chainId,
    from: address,
    to: address,
    amount,
    fee: amount,
    nonce,
    memo: v.optional(v.string()),
  }),
  v.strictObject({
    type: v.literal('register-pool'),
    chainId,
    from: address,
    fee: amount,
    nonce,
    vrfKey: bytesOf(32),
  }),
])

const TxSchema = v.strictObject({ body: BodySchema, publicKey: bytesOf(32), signature: bytesOf(64) })

/** The encoded body, the bytes whose hash names the transaction. */
export function encodeTxBody(body: TxBody): Uint8Array {
  const { memo, ...rest } = body as TransferBody
  return encodeCbor(memo === undefined ? rest : body)
}

/** The identifier of a body: SHA-256 of its encoding. */
export function txHash(body: TxBody): Uint8Array {
  return hash(encodeTxBody(body))
}

/** The message a sender signs: a domain tag and the transaction hash. */
export function txSigningMessage(txId: Uint8Array): Uint8Array {
  return concatBytes(TX_DOMAIN, txId)
}

/** Signs a body with the sender's 32-byte ed25519 secret. */
export async function signTransaction(
  body: TxBody,
  secret: Uint8Array,
  crypto: CryptoPort,
): Promise<Transaction> {
  const id = txHash(body)
  const [publicKey, signature] = await Promise.all([
    crypto.publicKey(secret),
    crypto.sign(secret, txSigningMessage(id)),
  ])
  return { body, publicKey, signature, hash: id }
}

/** The transaction as plain data for encoding (no derived fields). */
export function txToWire(tx: Transaction): unknown {
  const { memo, ...rest } = tx.body as TransferBody
  return { body: memo === undefined ? rest : tx.body, publicKey: tx.publicKey, signature: tx.signature }
}

/** Encodes a signed transaction for the wire and storage. */
export function encodeTransaction(tx: Transaction): Uint8Array {
  return encodeCbor(txToWire(tx))
}

/**
 * Checks decoded plain data against the transaction schema and rebuilds the typed object; its id
 * is the hash of `bodyBytes`, the body's canonical bytes as received, when given (else re-encoded).
 */
export function txFromWire(data: unknown, bodyBytes?: Uint8Array): Transaction {
  const parsed = v.safeParse(TxSchema, data)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    throw new DecodeError(`malformed transaction: ${v.getDotPath(issue) ?? 'value'}: ${issue.message}`)
  }
  const { body: raw, publicKey, signature } = parsed.output
  // The schema's output is a fresh object of ours: its amounts become bigints in place.
  const body = raw as TxBody
  if (raw.type === 'transfer') (body as TransferBody).amount = BigInt(raw.amount)
  body.fee = BigInt(raw.fee)
  // An absent memo must stay absent (not `undefined`): it changes the encoding and so the hash.
  if (body.type === 'transfer' && body.memo === undefined) delete body.memo
  return { body, publicKey, signature, hash: bodyBytes === undefined ? txHash(body) : hash(bodyBytes) }
}

/** Decodes an encoded transaction (size limit first, then DAG-CBOR, then schema). */
export function decodeTransaction(bytes: Uint8Array): Transaction {
  return txFromWire(decodeCbor(bytes, MAX_TX_BYTES, 'transaction'))
}
