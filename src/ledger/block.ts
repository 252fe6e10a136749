import { concatBytes } from '@noble/hashes/utils.js'
import * as v from 'valibot'
import { blockSpans } from '../encoding/canonical-spans.ts'
import { decodeCbor, encodeCbor } from '../encoding/cbor.ts'
import { hash } from '../encoding/hash.ts'
import { DecodeError } from '../errors.ts'
import type { CryptoPort } from '../ports.ts'
import { type Transaction, txFromWire, txToWire } from './transaction.ts'

/** No block larger than this is decoded at all, whatever the chain's own (smaller) limit. */
export const MAX_BLOCK_BYTES_HARD = 4 * 1024 * 1024

/** A block header; its encoding's SHA-256 is the block hash. */
export interface BlockHeader {
  /** Block number: the parent's index + 1 (genesis is 0). */
  index: number
  slot: number
  prevHash: Uint8Array
  /** SHA-256 of the encoded transaction list. */
  bodyHash: Uint8Array
  /** The producer's ed25519 public key. */
  issuer: Uint8Array
  /** Praos: the VRF output (64 bytes) and proof (80 bytes) on (epoch nonce, slot); empty in BFT mode. */
  vrfOutput: Uint8Array
  vrfProof: Uint8Array
  protocolVersion: number
  /** From protocol version 2: the root of the ledger state after this block (see state-root.ts). */
  stateRoot?: Uint8Array
}

/** The first protocol version whose headers carry a state root. */
export const STATE_ROOT_VERSION = 2

/** A signed block with its derived identifiers. */
export interface Block {
  header: BlockHeader
  /** The issuer's ed25519 signature of the header. */
  signature: Uint8Array
  txs: Transaction[]
  hash: Uint8Array
  /** Length of the block's encoding in bytes. */
  size: number
}

/** No encoded header is larger: its fields have fixed sizes but for small integers. */
export const MAX_HEADER_BYTES = 1024

const HEADER_DOMAIN = new TextEncoder().encode('pp/header/1')

const uint = v.pipe(v.number(), v.safeInteger(), v.minValue(0))
const bytesOf = (...lengths: number[]) =>
  v.pipe(
    v.instance(Uint8Array),
    v.check((b) => lengths.includes(b.length), `must be ${lengths.join(' or ')} bytes`),
  )

const HeaderSchema = v.strictObject({
  index: uint,
  slot: uint,
  prevHash: bytesOf(32),
  bodyHash: bytesOf(32),
  issuer: bytesOf(32),
  vrfOutput: bytesOf(0, 64),
  vrfProof: bytesOf(0, 80),
  protocolVersion: uint,
  stateRoot: v.optional(bytesOf(32)),
})

const BlockSchema = v.strictObject({
  header: HeaderSchema,
  signature: bytesOf(64),
  txs: v.array(v.unknown()),
})

/** The encoded header: the bytes the block hash is taken over. */
export function encodeHeader(header: BlockHeader): Uint8Array {
  return encodeCbor(header)
}

/** Decodes and checks an encoded header (canonical form: its bytes are the ones its hash is taken over). */
export function decodeHeader(bytes: Uint8Array): BlockHeader {
  const parsed = v.safeParse(HeaderSchema, decodeCbor(bytes, MAX_HEADER_BYTES, 'header'))
  if (!parsed.success) {
    const issue = parsed.issues[0]
    throw new DecodeError(`malformed header: ${v.getDotPath(issue) ?? 'value'}: ${issue.message}`)
  }
  const header = parsed.output
  const again = encodeHeader(header)
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i]))
    throw new DecodeError('header not in canonical form')
  return header
}

/** The block hash of a header. */
export function headerHash(header: BlockHeader): Uint8Array {
  return hash(encodeHeader(header))
}

/** The message an issuer signs: a domain tag and the block hash. */
export function headerSigningMessage(blockHash: Uint8Array): Uint8Array {
  return concatBytes(HEADER_DOMAIN, blockHash)
}

/** The body hash committing to a list of transactions. */
export function bodyHash(txs: readonly Transaction[]): Uint8Array {
  return hash(encodeCbor(txs.map(txToWire)))
}

/** The bytes each decoded or signed block came from, so storing or relaying it needs no re-encoding. */
const encodings = new WeakMap<object, Uint8Array>()
/** The transaction list's received bytes of each decoded block, whose hash is its body hash. */
const bodyBytes = new WeakMap<object, Uint8Array>()
/** The body hash of each decoded block, once taken. */
const bodyHashes = new WeakMap<object, Uint8Array>()

/** The body hash of a block's transactions (over the bytes it was decoded from, when it was). */
export function bodyHashOf(block: Pick<Block, 'txs'>): Uint8Array {
  let known = bodyHashes.get(block)
  if (known === undefined) {
    const bytes = bodyBytes.get(block)
    known = bytes === undefined ? bodyHash(block.txs) : hash(bytes)
    bodyHashes.set(block, known)
  }
  return known
}

/** Takes the body hashes of decoded blocks with the platform's `digest` (native, off the page's thread where it can be). */
export async function hashBodies(
  blocks: readonly Block[],
  digest: (data: Uint8Array) => Promise<Uint8Array>,
): Promise<void> {
  await Promise.all(
    blocks.map(async (block) => {
      const bytes = bodyBytes.get(block)
      if (bytes !== undefined && !bodyHashes.has(block)) bodyHashes.set(block, await digest(bytes))
    }),
  )
}

/** Encodes a block for the wire and storage (the bytes it was decoded from, when it was). */
export function encodeBlock(block: Pick<Block, 'header' | 'signature' | 'txs'>): Uint8Array {
  const known = encodings.get(block)
  if (known !== undefined) return known
  return encodeCbor({ header: block.header, signature: block.signature, txs: block.txs.map(txToWire) })
}

/** Signs a header with the issuer's secret and returns the complete block. */
export async function signBlock(
  header: BlockHeader,
  txs: Transaction[],
  secret: Uint8Array,
  crypto: CryptoPort,
): Promise<Block> {
  const blockHash = headerHash(header)
  const signature = await crypto.sign(secret, headerSigningMessage(blockHash))
  const bytes = encodeBlock({ header, signature, txs })
  const block = { header, signature, txs, hash: blockHash, size: bytes.length }
  encodings.set(block, bytes)
  return block
}

/**
 * Decodes a block: size cap, DAG-CBOR, schema of header and every transaction, canonical form.
 * Transaction ids and the body hash are taken over the received bytes (canonical, so equal to a
 * re-encoding's). Signatures are not checked here.
 */
export function decodeBlock(bytes: Uint8Array): Block {
  const parsed = v.safeParse(BlockSchema, decodeCbor(bytes, MAX_BLOCK_BYTES_HARD, 'block'))
  if (!parsed.success) {
    const issue = parsed.issues[0]
    throw new DecodeError(`malformed block: ${v.getDotPath(issue) ?? 'value'}: ${issue.message}`)
  }
  const { txs: list, bodies } = blockSpans(bytes)
  const { header, signature } = parsed.output
  const txs = parsed.output.txs.map((wire, i) =>
    // An item without a body fails the transaction schema, which says so.
    txFromWire(wire, bodies[i] && bytes.subarray(bodies[i].start, bodies[i].end)),
  )
  const block = { header, signature, txs, hash: headerHash(header), size: bytes.length }
  encodings.set(block, bytes)
  bodyBytes.set(block, bytes.subarray(list.start, list.end))
  return block
}
