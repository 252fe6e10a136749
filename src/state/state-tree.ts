import { equalBytes, toHex } from '../encoding/hash.ts'
import { DecodeError } from '../errors.ts'
import { bitAt, EMPTY, INTERNAL, internalNode, LEAF, leafNode, nodeHash } from './tree-hashing.ts'

/**
 * A sparse Merkle tree over 256-bit keys: the authenticated map a state root commits to. A subtree
 * holding one entry is that entry's leaf, wherever it sits, and an empty one is 32 zero bytes, so
 * the tree is as deep as its keys' shared prefixes (~log2 n for hashed keys) and its root is a
 * function of the entries alone, whatever order or batches they were written in. Nodes are stored
 * by their hash; an update reads and writes only the paths of the keys it changes.
 *
 * ```ts
 * const tree = new StateTree(nodes)
 * const { root, writes } = await tree.update(EMPTY, [[key, valueHash]])
 * await store.batch(writes.map(([hash, node]) => ({ type: 'put', key: nodeKey(hash), value: node })))
 * const proof = await tree.prove(root, key)   // verifyStateProof(root, key, valueHash, proof) === true
 * ```
 */

/** Where a tree's nodes are read from (a store, with the writes of earlier updates not yet committed). */
export interface TreeNodeSource {
  /** The encoded node whose hash is `hash` (checked, when it comes from storage), or undefined. */
  get(hash: Uint8Array): Promise<Uint8Array | undefined>
}

/** One entry to write: a 32-byte key and the 32-byte hash of its value, or undefined to remove it. */
export type TreeChange = readonly [key: Uint8Array, valueHash: Uint8Array | undefined]

/** The path from a root to where a key is or would be: sibling hashes from the top, and the leaf met. */
export interface StateProof {
  siblings: Uint8Array[]
  /** The leaf at the end of the path: the key's own, another key's (the key is absent), or none (empty). */
  leaf?: { key: Uint8Array; valueHash: Uint8Array }
}

/** Thrown when a node a root refers to is missing from the store or damaged. */
export class MissingTreeNodeError extends DecodeError {
  constructor(hash: Uint8Array) {
    super(`state tree node ${toHex(hash)} is missing or damaged`)
  }
}

type Node =
  | { kind: 'leaf'; key: Uint8Array; valueHash: Uint8Array }
  | { kind: 'internal'; left: Uint8Array; right: Uint8Array }

interface Entry {
  key: Uint8Array
  valueHash: Uint8Array
}

/**
 * A subtree after an update: its hash, and whether it is a single leaf (which moves up when its
 * sibling empties); undefined for an untouched subtree, read only if it comes to matter.
 */
interface Subtree {
  hash: Uint8Array
  leaf?: boolean
}

/** Nodes an update made, by hash, to store. */
type Writes = Array<[Uint8Array, Uint8Array]>

const EMPTY_SUBTREE: Subtree = { hash: EMPTY, leaf: false }

/** Reads, updates and proves a sparse Merkle tree whose nodes live in a `TreeNodeSource`. */
export class StateTree {
  private readonly nodes: TreeNodeSource

  constructor(nodes: TreeNodeSource) {
    this.nodes = nodes
  }

  /**
   * Applies `changes` (at most one per key) to the tree of `root`; returns the new root and the nodes
   * to store (keyed by hash). Old nodes stay, so earlier roots still read as they were.
   */
  async update(
    root: Uint8Array,
    changes: readonly TreeChange[],
  ): Promise<{ root: Uint8Array; writes: Writes }> {
    const writes: Writes = []
    const sorted = [...changes].sort(([a], [b]) => compareKeys(a, b))
    const result = await this.updateAt(root, 0, sorted, writes)
    return { root: result.hash, writes }
  }

  /** The proof of `key` against `root`: of its value when present, of its absence otherwise. */
  async prove(root: Uint8Array, key: Uint8Array): Promise<StateProof> {
    const siblings: Uint8Array[] = []
    let hash = root
    for (let depth = 0; !equalBytes(hash, EMPTY); depth++) {
      const node = await this.read(hash)
      if (node.kind === 'leaf') return { siblings, leaf: { key: node.key, valueHash: node.valueHash } }
      const right = bitAt(key, depth) === 1
      siblings.push(right ? node.left : node.right)
      hash = right ? node.right : node.left
    }
    return { siblings }
  }

  /** The value hash stored for `key` under `root`, or undefined when the key is absent. */
  async get(root: Uint8Array, key: Uint8Array): Promise<Uint8Array | undefined> {
    const { leaf } = await this.prove(root, key)
    return leaf !== undefined && equalBytes(leaf.key, key) ? leaf.valueHash : undefined
  }

  private async updateAt(
    hash: Uint8Array,
    depth: number,
    changes: readonly TreeChange[],
    writes: Writes,
  ): Promise<Subtree> {
    if (changes.length === 0) return { hash }
    if (equalBytes(hash, EMPTY)) return build(depth, present(changes), writes)
    const node = await this.read(hash)
    if (node.kind === 'leaf') {
      // Everything in this subtree is now known: the old leaf (unless changed) and the changes.
      const kept = changes.some(([key]) => equalBytes(key, node.key)) ? [] : [node]
      const entries = [...kept, ...present(changes)].sort((a, b) => compareKeys(a.key, b.key))
      return build(depth, entries, writes)
    }
    const split = changes.findIndex(([key]) => bitAt(key, depth) === 1)
    const at = split === -1 ? changes.length : split
    // Both halves at once: the store's reads (LevelDB's thread pool, IndexedDB) overlap.
    const [left, right] = await Promise.all([
      this.updateAt(node.left, depth + 1, changes.slice(0, at), writes),
      this.updateAt(node.right, depth + 1, changes.slice(at), writes),
    ])
    return this.join(left, right, writes)
  }

  /** The parent of two subtrees, in canonical form: a lone leaf (or nothing) moves up in place of the parent. */
  private async join(left: Subtree, right: Subtree, writes: Writes): Promise<Subtree> {
    const isLeaf = async (s: Subtree) => s.leaf ?? (await this.read(s.hash)).kind === 'leaf'
    if (equalBytes(left.hash, EMPTY) && (equalBytes(right.hash, EMPTY) || (await isLeaf(right)))) return right
    if (equalBytes(right.hash, EMPTY) && (await isLeaf(left))) return left
    return parent(left.hash, right.hash, writes)
  }

  /** A node by hash (the source checks what it read from storage against the hash). */
  private async read(hash: Uint8Array): Promise<Node> {
    const data = await this.nodes.get(hash)
    if (data?.length !== 65 || (data[0] !== LEAF && data[0] !== INTERNAL))
      throw new MissingTreeNodeError(hash)
    return data[0] === LEAF
      ? { kind: 'leaf', key: data.subarray(1, 33), valueHash: data.subarray(33, 65) }
      : { kind: 'internal', left: data.subarray(1, 33), right: data.subarray(33, 65) }
  }
}

/** The subtree of sorted `entries`, all sharing their first `depth` bits; its nodes go to `writes`. */
function build(depth: number, entries: readonly Entry[], writes: Writes): Subtree {
  if (entries.length === 0) return EMPTY_SUBTREE
  if (entries.length === 1) {
    const node = leafNode(entries[0].key, entries[0].valueHash)
    const hash = nodeHash(node)
    writes.push([hash, node])
    return { hash, leaf: true }
  }
  const split = entries.findIndex((e) => bitAt(e.key, depth) === 1)
  const at = split === -1 ? entries.length : split
  // Two or more entries make a parent, even when they all fall on one side (canonical form).
  const left = build(depth + 1, entries.slice(0, at), writes)
  const right = build(depth + 1, entries.slice(at), writes)
  return parent(left.hash, right.hash, writes)
}

function parent(left: Uint8Array, right: Uint8Array, writes: Writes): Subtree {
  const node = internalNode(left, right)
  const hash = nodeHash(node)
  writes.push([hash, node])
  return { hash, leaf: false }
}

function present(changes: readonly TreeChange[]): Entry[] {
  const entries: Entry[] = []
  for (const [key, valueHash] of changes) if (valueHash !== undefined) entries.push({ key, valueHash })
  return entries
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}
