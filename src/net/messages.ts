import * as v from 'valibot'
import { decodeCbor, encodeCbor } from '../encoding/cbor.ts'
import { DecodeError } from '../errors.ts'
import { MAX_BLOCK_BYTES_HARD, MAX_HEADER_BYTES } from '../ledger/block.ts'
import type { SignedHeaderWire } from '../ledger/signed-header.ts'
import { CHUNKS } from '../ledger/snapshot.ts'
import { MAX_TX_BYTES } from '../ledger/transaction.ts'

/** Most blocks one `get_blocks` request may ask for or receive. */
export const MAX_BLOCKS_PER_REQUEST = 100
/** Most headers one `get_headers` request may ask for or receive. */
export const MAX_HEADERS_PER_REQUEST = 1000
/** Largest `headers` response: MAX_HEADERS_PER_REQUEST headers at their size limit. */
export const MAX_HEADERS_RESPONSE_BYTES = MAX_HEADERS_PER_REQUEST * (MAX_HEADER_BYTES + 80) + 64
/** Most locator hashes a `locate` request may carry. */
export const MAX_LOCATOR_HASHES = 64
/** Largest gossip message: one block with its announcement fields. */
export const MAX_GOSSIP_BLOCK_BYTES = MAX_BLOCK_BYTES_HARD + 1024
/** Largest `blocks` response. */
export const MAX_BLOCKS_RESPONSE_BYTES = 16 * 1024 * 1024
/**
 * Size a server fills a `blocks` response to (at least one block): a tab decrypts and reassembles
 * a response in one go, and a few MiB of it held the page for over 50 ms.
 */
export const BLOCKS_RESPONSE_TARGET_BYTES = 1024 * 1024
/** Largest request of any kind. */
export const MAX_REQUEST_BYTES = 4096

const uint = v.pipe(v.number(), v.safeInteger(), v.minValue(0))
const hash32 = v.pipe(v.instance(Uint8Array), v.length(32))

/** A peer's view of its chain, exchanged on connect. */
export interface Status {
  genesis: Uint8Array
  tip: { index: number; slot: number; hash: Uint8Array }
}

const StatusSchema = v.strictObject({
  genesis: hash32,
  tip: v.strictObject({
    index: uint,
    slot: v.pipe(v.number(), v.safeInteger(), v.minValue(-1)),
    hash: hash32,
  }),
})
const GetBlocksSchema = v.strictObject({
  type: v.literal('get_blocks'),
  from_index: uint,
  count: v.pipe(uint, v.minValue(1), v.maxValue(MAX_BLOCKS_PER_REQUEST)),
})
const BlocksSchema = v.strictObject({
  type: v.literal('blocks'),
  blocks: v.pipe(v.array(v.instance(Uint8Array)), v.maxLength(MAX_BLOCKS_PER_REQUEST)),
})
const GetHeadersSchema = v.strictObject({
  type: v.literal('get_headers'),
  from_index: v.pipe(uint, v.minValue(1)),
  count: v.pipe(uint, v.minValue(1), v.maxValue(MAX_HEADERS_PER_REQUEST)),
})
const HeadersSchema = v.strictObject({
  type: v.literal('headers'),
  headers: v.pipe(
    v.array(v.tuple([v.pipe(v.instance(Uint8Array), v.maxLength(MAX_HEADER_BYTES)), v.instance(Uint8Array)])),
    v.maxLength(MAX_HEADERS_PER_REQUEST),
  ),
})
const GetStakeSchema = v.strictObject({ type: v.literal('get_stake'), block: hash32 })
const LocateSchema = v.strictObject({
  type: v.literal('locate'),
  hashes: v.pipe(v.array(hash32), v.minLength(1), v.maxLength(MAX_LOCATOR_HASHES)),
})
const LocatedSchema = v.strictObject({
  type: v.literal('located'),
  index: v.pipe(v.number(), v.safeInteger(), v.minValue(-1)),
})
const GetSnapshotSchema = v.strictObject({
  type: v.literal('get_snapshot'),
  block: hash32,
  /** Absent: the manifest; else the chunk of this index. */
  chunk: v.optional(v.pipe(uint, v.maxValue(CHUNKS - 1))),
})
const NewBlockSchema = v.strictObject({
  type: v.literal('new_block'),
  index: uint,
  slot: uint,
  hash: hash32,
  block: v.instance(Uint8Array),
})
const NewTxSchema = v.strictObject({
  type: v.literal('new_tx'),
  tx: v.pipe(v.instance(Uint8Array), v.maxLength(MAX_TX_BYTES)),
})

function parse<S extends v.GenericSchema>(
  schema: S,
  bytes: Uint8Array,
  max: number,
  what: string,
): v.InferOutput<S> {
  const result = v.safeParse(schema, decodeCbor(bytes, max, what))
  if (!result.success) {
    const issue = result.issues[0]
    throw new DecodeError(`malformed ${what}: ${v.getDotPath(issue) ?? 'message'}: ${issue.message}`)
  }
  return result.output
}

/** Encodes a status message. */
export const encodeStatus = (s: Status): Uint8Array => encodeCbor(s)
/** Decodes and checks a status message. */
export const decodeStatus = (b: Uint8Array): Status => parse(StatusSchema, b, MAX_REQUEST_BYTES, 'status')

/** A `get_blocks {from_index, count}` request: up to `count` best-chain blocks from `from_index`. */
export const encodeGetBlocks = (from_index: number, count: number): Uint8Array =>
  encodeCbor({ type: 'get_blocks', from_index, count })
/** Decodes and checks a `get_blocks` request (count 1–100). */
export const decodeGetBlocks = (b: Uint8Array) =>
  parse(GetBlocksSchema, b, MAX_REQUEST_BYTES, 'get_blocks request')

/** A `get_snapshot` request: the manifest of the snapshot at `block`, or one of its chunks. */
export const encodeGetSnapshot = (block: Uint8Array, chunk?: number): Uint8Array =>
  encodeCbor({ type: 'get_snapshot', block, ...(chunk !== undefined && { chunk }) })
/** Decodes and checks a `get_snapshot` request. */
export const decodeGetSnapshot = (b: Uint8Array) =>
  parse(GetSnapshotSchema, b, MAX_REQUEST_BYTES, 'get_snapshot request')

/** A `get_headers {from_index, count}` request: up to `count` best-chain signed headers from `from_index`. */
export const encodeGetHeaders = (from_index: number, count: number): Uint8Array =>
  encodeCbor({ type: 'get_headers', from_index, count })
/** Decodes and checks a `get_headers` request (count 1–1000). */
export const decodeGetHeaders = (b: Uint8Array) =>
  parse(GetHeadersSchema, b, MAX_REQUEST_BYTES, 'get_headers request')
/** A `headers` response: signed headers in order. */
export const encodeHeaders = (headers: SignedHeaderWire[]): Uint8Array =>
  encodeCbor({ type: 'headers', headers })
/** Decodes and checks a `headers` response (each header is decoded by the caller). */
export const decodeHeaders = (b: Uint8Array): SignedHeaderWire[] =>
  parse(HeadersSchema, b, MAX_HEADERS_RESPONSE_BYTES, 'headers response').headers

/** A `get_stake {block}` request: the stake record after `block`, which ends its epoch (see epoch-stake.ts). */
export const encodeGetStake = (block: Uint8Array): Uint8Array => encodeCbor({ type: 'get_stake', block })
/** Decodes and checks a `get_stake` request. */
export const decodeGetStake = (b: Uint8Array): Uint8Array =>
  parse(GetStakeSchema, b, MAX_REQUEST_BYTES, 'get_stake request').block

/** A `blocks` response: encoded blocks in order. */
export const encodeBlocks = (blocks: Uint8Array[]): Uint8Array => encodeCbor({ type: 'blocks', blocks })
/** Decodes and checks a `blocks` response (the blocks themselves are decoded by the caller). */
export const decodeBlocks = (b: Uint8Array): Uint8Array[] =>
  parse(BlocksSchema, b, MAX_BLOCKS_RESPONSE_BYTES, 'blocks response').blocks

/** A chain locator: hashes of our best chain from the tip back, spaced ever wider. */
export const encodeLocate = (hashes: Uint8Array[]): Uint8Array => encodeCbor({ type: 'locate', hashes })
/** Decodes and checks a locator request. */
export const decodeLocate = (b: Uint8Array): Uint8Array[] =>
  parse(LocateSchema, b, MAX_REQUEST_BYTES, 'locate request').hashes
/** The answer to a locator: the index of the first locator hash on the responder's best chain (-1: none). */
export const encodeLocated = (index: number): Uint8Array => encodeCbor({ type: 'located', index })
/** Decodes and checks a locator answer. */
export const decodeLocated = (b: Uint8Array): number =>
  parse(LocatedSchema, b, MAX_REQUEST_BYTES, 'located response').index

/** A `new_block {index, slot, hash}` gossip announcement, with the block itself. */
export const encodeNewBlock = (
  index: number,
  slot: number,
  hash: Uint8Array,
  block: Uint8Array,
): Uint8Array => encodeCbor({ type: 'new_block', index, slot, hash, block })
/** Decodes and checks a `new_block` gossip message. */
export const decodeNewBlock = (b: Uint8Array) =>
  parse(NewBlockSchema, b, MAX_GOSSIP_BLOCK_BYTES, 'new_block message')

/** A gossiped transaction. */
export const encodeNewTx = (tx: Uint8Array): Uint8Array => encodeCbor({ type: 'new_tx', tx })
/** Decodes and checks a `new_tx` gossip message. */
export const decodeNewTx = (b: Uint8Array): Uint8Array =>
  parse(NewTxSchema, b, MAX_TX_BYTES + 64, 'new_tx message').tx

/** Most peers one `peers` answer may carry. */
export const MAX_SHARED_PEERS = 16
/** Most addresses shared per peer. */
export const MAX_SHARED_ADDRS = 8
/** Largest `peers` answer. */
export const MAX_PEERS_RESPONSE_BYTES = 64 * 1024

const SharedPeerSchema = v.strictObject({
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  addrs: v.pipe(v.array(v.pipe(v.string(), v.maxLength(512))), v.maxLength(MAX_SHARED_ADDRS)),
})
const PeersSchema = v.strictObject({
  type: v.literal('peers'),
  peers: v.pipe(v.array(SharedPeerSchema), v.maxLength(MAX_SHARED_PEERS)),
})

/** A peer one node tells another about: its peer id and the addresses it listens on, as text. */
export type SharedPeer = v.InferOutput<typeof SharedPeerSchema>

/** A `peers` answer: some of the responder's direct peers. */
export const encodePeers = (peers: SharedPeer[]): Uint8Array => encodeCbor({ type: 'peers', peers })
/** Decodes and checks a `peers` answer (the ids and addresses are parsed by the caller). */
export const decodePeers = (b: Uint8Array): SharedPeer[] =>
  parse(PeersSchema, b, MAX_PEERS_RESPONSE_BYTES, 'peers response').peers
