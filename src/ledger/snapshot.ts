import * as v from 'valibot'
import { decodeCbor, encodeCbor } from '../encoding/cbor.ts'
import { equalBytes, fromHex, toHex } from '../encoding/hash.ts'
import { ConfigError, DecodeError } from '../errors.ts'
import type { Genesis } from '../genesis.ts'
import { rootOfSubtrees, StateTree, type Subtree, subtreeOf, type TreeEntry } from '../state/state-tree.ts'
import { type Account, AccountLayer } from './account-layers.ts'
import { type Address, isAddress } from './address.ts'
import { checkBlockContents } from './apply-block.ts'
import { type Block, decodeBlock, MAX_BLOCK_BYTES_HARD } from './block.ts'
import { SnapshotMismatchError } from './errors.ts'
import { genesisAccounts, type LedgerState } from './ledger-state.ts'
import {
  decodeAccount,
  encodeAccount,
  epochEndsToWire,
  snapshotsFromWire,
  snapshotToWire,
} from './state-codec.ts'
import { accountTreeKey, accountValueHash, stateRootOf } from './state-root.ts'

/**
 * A state snapshot: the state after one block, served in 2^CHUNK_BITS chunks, chunk i holding the
 * accounts whose tree key begins with the bits of i. The manifest names the block and carries
 * the consensus part and each chunk's subtree; folded, those give the block header's state root,
 * so a manifest that does not fit its header is caught at once, and each chunk is checked alone
 * against its subtree: a lying peer is caught at its first bad chunk.
 */
export const CHUNK_BITS = 10
/** How many chunks a snapshot has. */
export const CHUNKS = 2 ** CHUNK_BITS
/** The largest manifest taken: a block, 33 bytes per chunk, and the pools' stake twice over. */
export const MAX_MANIFEST_BYTES = MAX_BLOCK_BYTES_HARD + 8 * 1024 * 1024
/** The largest chunk taken (a chunk ground full of accounts is refused, its peer charged). */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024

/** A trusted block to start from: its height and hash (from the operator, the page, or a trusted relay). */
export interface Checkpoint {
  index: number
  hash: Uint8Array
}

/** Parses a checkpoint written `<index>:<hash>` (a block height and 64 hex characters); ConfigError when malformed. */
export function parseCheckpoint(text: string): Checkpoint {
  const match = /^(\d{1,15}):([0-9a-fA-F]{64})$/.exec(text.trim())
  const index = match ? Number(match[1]) : 0
  if (match === null || index < 1)
    throw new ConfigError(`checkpoint "${text}": expected <block height ≥ 1>:<block hash, 64 hex characters>`)
  return { index, hash: fromHex(match[2])! }
}

/** A verified manifest: the block whose state it is, and what the state root covers beside the accounts. */
export interface SnapshotManifest {
  block: Block
  part: Pick<LedgerState, 'evolvingNonce' | 'candidateNonce' | 'stake' | 'epochEnds'>
  subtrees: Subtree[]
}

const KINDS = ['empty', 'leaf', 'parent'] as const
const bytes = v.instance(Uint8Array)
const ManifestSchema = v.strictObject({
  type: v.literal('manifest'),
  block: bytes,
  evolvingNonce: v.pipe(bytes, v.length(32)),
  candidateNonce: v.pipe(bytes, v.length(32)),
  stake: v.unknown(),
  epochEnds: v.unknown(),
  subtrees: v.pipe(bytes, v.length(CHUNKS * 33)),
})
const ChunkSchema = v.strictObject({
  type: v.literal('chunk'),
  accounts: v.array(v.tuple([v.string(), bytes])),
})

/** The chunk a tree key falls in: its first CHUNK_BITS bits. */
export function chunkOfKey(key: Uint8Array): number {
  return ((key[0] << 8) | key[1]) >> (16 - CHUNK_BITS)
}

/** The encoded manifest of `state`, whose tip block's encoding is `blockBytes` (served to joining peers). */
export function encodeManifest(state: LedgerState, blockBytes: Uint8Array): Uint8Array {
  const subtrees = new Uint8Array(CHUNKS * 33)
  state.tree.subtrees(CHUNK_BITS).forEach((subtree, i) => {
    subtrees[i * 33] = KINDS.indexOf(subtree.kind)
    subtrees.set(subtree.hash, i * 33 + 1)
  })
  return encodeCbor({
    type: 'manifest',
    block: blockBytes,
    evolvingNonce: state.evolvingNonce,
    candidateNonce: state.candidateNonce,
    stake: snapshotToWire(state.stake),
    epochEnds: epochEndsToWire(state.epochEnds),
    subtrees,
  })
}

/** The addresses of each chunk of a served state, grouped once per state. */
const grouped = new WeakMap<LedgerState, Address[][]>()

/** The encoded chunk `index` of `state`: its accounts, by address. */
export function encodeChunk(state: LedgerState, index: number): Uint8Array {
  let chunks = grouped.get(state)
  if (chunks === undefined) {
    chunks = Array.from({ length: CHUNKS }, () => [])
    for (const [address] of state.accounts) chunks[chunkOfKey(accountTreeKey(address))].push(address)
    grouped.set(state, chunks)
  }
  const accounts = chunks[index].map((address) => [address, encodeAccount(state.accounts.get(address)!)])
  return encodeCbor({ type: 'chunk', accounts })
}

/**
 * Checks a manifest from a peer: the block is `blockHash` and well formed, and the chunks' subtrees
 * with the consensus part give the state root its header carries. Throws DecodeError or
 * SnapshotMismatchError (the peer lied).
 */
export function verifyManifest(data: Uint8Array, blockHash: Uint8Array, genesis: Genesis): SnapshotManifest {
  const parsed = v.safeParse(ManifestSchema, decodeCbor(data, MAX_MANIFEST_BYTES, 'snapshot manifest'))
  if (!parsed.success) throw new DecodeError(`malformed snapshot manifest: ${parsed.issues[0].message}`)
  const m = parsed.output
  const block = decodeBlock(m.block)
  if (!equalBytes(block.hash, blockHash))
    throw new SnapshotMismatchError(
      `the manifest is of block ${toHex(block.hash).slice(0, 12)}, not the one asked`,
    )
  checkBlockContents(block, genesis)
  const { stateRoot } = block.header
  if (stateRoot === undefined) throw new SnapshotMismatchError('the block carries no state root')
  const subtrees: Subtree[] = []
  for (let i = 0; i < CHUNKS; i++) {
    const kind = KINDS[m.subtrees[i * 33]]
    const hash = m.subtrees.slice(i * 33 + 1, i * 33 + 33)
    if (kind === undefined || (kind === 'empty') !== hash.every((b) => b === 0))
      throw new DecodeError(`malformed snapshot manifest: subtree ${i}`)
    subtrees.push({ hash, kind })
  }
  const part = {
    evolvingNonce: m.evolvingNonce,
    candidateNonce: m.candidateNonce,
    ...snapshotsFromWire(m.stake, m.epochEnds),
  }
  if (!equalBytes(stateRootOf(rootOfSubtrees(subtrees), part), stateRoot))
    throw new SnapshotMismatchError(
      `the manifest does not lead to the state root of block ${block.header.index}`,
    )
  return { block, part, subtrees }
}

/** Checks chunk `index` from a peer against the manifest; returns its accounts. Throws DecodeError or SnapshotMismatchError. */
export function verifyChunk(manifest: SnapshotManifest, index: number, data: Uint8Array): CheckedChunk {
  const accounts: Array<[Address, Account]> = []
  const entries: TreeEntry[] = []
  const seen = new Set<string>()
  for (const [address, account] of decodeChunk(data, index)) {
    if (!isAddress(address) || seen.has(address))
      throw new SnapshotMismatchError(`chunk ${index}: address ${address.slice(0, 16)} is malformed or twice`)
    seen.add(address)
    const key = accountTreeKey(address)
    if (chunkOfKey(key) !== index)
      throw new SnapshotMismatchError(`chunk ${index}: ${address} belongs to another chunk`)
    accounts.push([address, account])
    entries.push([key, accountValueHash(account)])
  }
  const subtree = subtreeOf(entries, CHUNK_BITS)
  const expected = manifest.subtrees[index]
  if (subtree.kind !== expected.kind || !equalBytes(subtree.hash, expected.hash))
    throw new SnapshotMismatchError(`chunk ${index} does not match its subtree in the manifest`)
  return { accounts, entries, bytes: data }
}

/** The accounts of an encoded chunk, as it says (checked for form only); DecodeError when malformed. */
export function decodeChunk(data: Uint8Array, index: number): Array<[Address, Account]> {
  const parsed = v.safeParse(ChunkSchema, decodeCbor(data, MAX_CHUNK_BYTES, 'snapshot chunk'))
  if (!parsed.success) throw new DecodeError(`malformed snapshot chunk ${index}: ${parsed.issues[0].message}`)
  return parsed.output.accounts.map(([address, encoded]) => [address as Address, decodeAccount(encoded)])
}

/** A checked chunk: its accounts, their accounts-tree entries (key, value hash) as checked, and its bytes. */
export interface CheckedChunk {
  accounts: Array<[Address, Account]>
  entries: TreeEntry[]
  bytes: Uint8Array
}

/** The ledger state a verified snapshot describes (its accounts are all the chunks' accounts). */
export function snapshotState(
  genesis: Genesis,
  manifest: SnapshotManifest,
  chunks: CheckedChunk[],
): LedgerState {
  const { header } = manifest.block
  const accounts = chunks.flatMap((c) => c.accounts)
  const layer = AccountLayer.root(genesisAccounts(genesis), accounts)
  const vrfKeyOwners = new Map<string, Address>()
  for (const [address, account] of accounts)
    if (account.vrfKey) vrfKeyOwners.set(toHex(account.vrfKey), address)
  // The entries as the chunks' checks hashed them: no account is hashed twice.
  const tree = StateTree.of(chunks.flatMap((c) => c.entries))
  const state: LedgerState = {
    accounts: layer,
    tip: { index: header.index, slot: header.slot, hash: manifest.block.hash },
    vrfKeyOwners,
    ...manifest.part,
    tree,
    stateRoot: stateRootOf(tree.root, manifest.part),
  }
  if (!equalBytes(state.stateRoot, header.stateRoot!))
    throw new SnapshotMismatchError('the snapshot chunks together do not give the state root of their block')
  return state
}
