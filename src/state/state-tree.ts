import { equalBytes, toHex } from '../encoding/hash.ts'
import { LayeredMap } from './layered-map.ts'
import { bitAt, EMPTY, internalHash, leafHash } from './tree-hashing.ts'

/**
 * A sparse Merkle tree over 256-bit keys: the authenticated map a state root commits to. A subtree
 * holding one entry is that entry's leaf, wherever it sits, and an empty one is 32 zero bytes, so
 * the tree is as deep as its keys' shared prefixes (~log2 n for hashed keys; a longer shared prefix
 * costs its maker 2^bits of grinding) and its root is a function of the entries alone, whatever
 * order or batches they were written in. Nodes live in memory by position, layered one block per
 * layer (see LayeredMap): an update touches only the paths of the keys it changes, forks share
 * what lies below them, and no old node is left behind to collect.
 *
 * ```ts
 * const tree = StateTree.of([[key, valueHash]])
 * const next = tree.update([[key, otherHash]])   // tree still reads as it was
 * verifyStateProof(next.root, key, otherHash, next.prove(key)) === true
 * ```
 */

/** One entry: a 32-byte key and the 32-byte hash of its value. */
export type TreeEntry = readonly [key: Uint8Array, valueHash: Uint8Array]

/** The path from a root to where a key is or would be: sibling hashes from the top, and the leaf met. */
export interface StateProof {
  siblings: Uint8Array[]
  /** The leaf at the end of the path: the key's own, another key's (the key is absent), or none (empty). */
  leaf?: { key: Uint8Array; valueHash: Uint8Array }
}

/**
 * Where a node sits: 2^depth + the key's first `depth` bits while that is an exact double, else a
 * string (only keys ground to share over 52 bits reach there).
 */
type Position = number | string

/** A node: 32 bytes are a parent's hash; 96 bytes a leaf's hash ‖ key ‖ value hash. */
type TreeNode = Uint8Array

const MAX_NUMERIC_DEPTH = 52
const ROOT: Position = 1

/** An immutable sparse Merkle tree; `update` returns the next one and leaves this one as it was. */
export class StateTree {
  /** The root hash (EMPTY for no entries). */
  readonly root: Uint8Array
  private readonly nodes: LayeredMap<Position, TreeNode>

  private constructor(nodes: LayeredMap<Position, TreeNode>, root: Uint8Array) {
    this.nodes = nodes
    this.root = root
  }

  /** The tree of `entries` (at most one per key), built as the root of its own layers. */
  static of(entries: readonly TreeEntry[]): StateTree {
    const nodes = LayeredMap.root<Position, TreeNode>()
    return new StateTree(nodes, writeAt(nodes, ROOT, 0, sorted(entries), 0, entries.length))
  }

  /** The tree with `entries` (at most one per key) added or changed; entries are never removed. */
  update(entries: readonly TreeEntry[]): StateTree {
    if (entries.length === 0) return this
    const nodes = this.nodes.child()
    return new StateTree(nodes, writeAt(nodes, ROOT, 0, sorted(entries), 0, entries.length))
  }

  /** Makes this tree's layer the root layer (call in block order, as its state settles). */
  settle(): void {
    this.nodes.settle()
  }

  /** The proof of `key`: of its value when present, of its absence otherwise. */
  prove(key: Uint8Array): StateProof {
    const siblings: Uint8Array[] = []
    let position = ROOT
    for (let depth = 0; ; depth++) {
      const node = this.nodes.get(position)
      if (node === undefined) return { siblings }
      if (node.length === 96)
        return { siblings, leaf: { key: node.subarray(32, 64), valueHash: node.subarray(64) } }
      const bit = bitAt(key, depth)
      siblings.push(hashOf(this.nodes.get(childOf(position, depth, key, bit === 1 ? 0 : 1))))
      position = childOf(position, depth, key, bit)
    }
  }

  /**
   * The 2^depth subtrees at `depth`, left to right, each as it would stand alone (see Subtree):
   * with the entries of each, a snapshot's chunks can be checked one by one against the root.
   */
  subtrees(depth: number): Subtree[] {
    const out: Subtree[] = Array.from({ length: 2 ** depth }, () => EMPTY_SUBTREE)
    const walk = (position: Position, at: number, prefix: number): void => {
      const node = this.nodes.get(position)
      if (node === undefined) return
      if (node.length === 96) {
        // A leaf above `depth` stands for the one subtree its key leads to.
        const key = node.subarray(32, 64)
        let index = prefix
        for (let d = at; d < depth; d++) index = index * 2 + bitAt(key, d)
        out[index] = { hash: node.subarray(0, 32), kind: 'leaf' }
      } else if (at === depth) out[prefix] = { hash: node, kind: 'parent' }
      else
        for (const bit of [0, 1] as const)
          walk(childOf(position, at, numberKey(prefix, at), bit), at + 1, prefix * 2 + bit)
    }
    walk(ROOT, 0, 0)
    return out
  }

  /** The value hash stored for `key`, or undefined when the key is absent. */
  get(key: Uint8Array): Uint8Array | undefined {
    const { leaf } = this.prove(key)
    return leaf !== undefined && equalBytes(leaf.key, key) ? leaf.valueHash : undefined
  }
}

/**
 * A subtree as it would stand alone: empty, a single leaf (which moves up beside an empty
 * sibling), or a parent of two or more entries.
 */
export interface Subtree {
  hash: Uint8Array
  kind: 'empty' | 'leaf' | 'parent'
}

const EMPTY_SUBTREE: Subtree = { hash: EMPTY, kind: 'empty' }

/** The subtree of `entries` (at most one per key), all of whose keys share their first `depth` bits. */
export function subtreeOf(entries: readonly TreeEntry[], depth: number): Subtree {
  if (entries.length === 0) return EMPTY_SUBTREE
  const hash = writeAt(LayeredMap.root<Position, TreeNode>(), ROOT, depth, sorted(entries), 0, entries.length)
  return { hash, kind: entries.length === 1 ? 'leaf' : 'parent' }
}

/** The root of a tree from its 2^d subtrees at depth d, left to right (as `subtrees(d)` gives them). */
export function rootOfSubtrees(subtrees: readonly Subtree[]): Uint8Array {
  let level = subtrees
  while (level.length > 1) {
    const up: Subtree[] = []
    for (let i = 0; i < level.length; i += 2) up.push(join(level[i], level[i + 1]))
    level = up
  }
  return level[0].hash
}

/** The parent of two subtrees, in canonical form: a lone leaf (or nothing) stands in its place. */
function join(left: Subtree, right: Subtree): Subtree {
  if (right.kind === 'empty' && left.kind !== 'parent') return left
  if (left.kind === 'empty' && right.kind !== 'parent') return right
  return { hash: internalHash(left.hash, right.hash), kind: 'parent' }
}

/**
 * Writes `entries[lo, hi)` (sorted, all under this node's prefix) into the subtree at `position`
 * (depth `depth`) of `nodes`; returns its new hash.
 */
function writeAt(
  nodes: LayeredMap<Position, TreeNode>,
  position: Position,
  depth: number,
  entries: readonly TreeEntry[],
  lo: number,
  hi: number,
): Uint8Array {
  const node = nodes.get(position)
  if (lo === hi) return hashOf(node)
  if (node !== undefined && node.length === 32) return writeParent(nodes, position, depth, entries, lo, hi)
  if (node !== undefined) {
    // A leaf: it moves down beside the new entries, unless one of them replaces it.
    const key = node.subarray(32, 64)
    const at = lowerBound(entries, lo, hi, key)
    if (at === hi || !equalBytes(entries[at][0], key)) {
      const below = [...entries.slice(lo, at), [key, node.subarray(64)] as const, ...entries.slice(at, hi)]
      return writeParent(nodes, position, depth, below, 0, below.length)
    }
  }
  if (hi - lo > 1) return writeParent(nodes, position, depth, entries, lo, hi)
  const [key, valueHash] = entries[lo]
  const leaf = new Uint8Array(96)
  leaf.set(leafHash(key, valueHash))
  leaf.set(key, 32)
  leaf.set(valueHash, 64)
  nodes.set(position, leaf)
  return leaf.subarray(0, 32)
}

/** Writes `entries[lo, hi)` below the parent at `position` (two or more entries, or a parent already there). */
function writeParent(
  nodes: LayeredMap<Position, TreeNode>,
  position: Position,
  depth: number,
  entries: readonly TreeEntry[],
  lo: number,
  hi: number,
): Uint8Array {
  // Sorted keys with the same first `depth` bits: those with bit `depth` set come last.
  let split = lo
  let end = hi
  while (split < end) {
    const mid = (split + end) >> 1
    if (bitAt(entries[mid][0], depth) === 1) end = mid
    else split = mid + 1
  }
  const key = entries[lo][0]
  const left = writeAt(nodes, childOf(position, depth, key, 0), depth + 1, entries, lo, split)
  const right = writeAt(nodes, childOf(position, depth, key, 1), depth + 1, entries, split, hi)
  const hash = internalHash(left, right)
  nodes.set(position, hash)
  return hash
}

/** The first index in `entries[lo, hi)` (sorted) whose key is not below `key`. */
function lowerBound(entries: readonly TreeEntry[], lo: number, hi: number, key: Uint8Array): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (compareKeys(entries[mid][0], key) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The position of a child of the node at `position` (depth `depth`) on the path of `key`'s first `depth` bits. */
function childOf(position: Position, depth: number, key: Uint8Array, bit: 0 | 1): Position {
  if (typeof position === 'number' && depth + 1 <= MAX_NUMERIC_DEPTH) return position * 2 + bit
  const prefix = key.slice(0, (depth >> 3) + 1)
  const used = depth & 7
  // Keep the first `depth` bits of the key, then the child's bit; clear the rest.
  const last = prefix.length - 1
  prefix[last] = (prefix[last] & (0xff << (8 - used))) | (bit << (7 - used))
  return `${depth + 1}/${toHex(prefix)}`
}

/** A key whose first `depth` bits are `prefix` (depth ≤ 32): enough for childOf to place a child. */
function numberKey(prefix: number, depth: number): Uint8Array {
  const key = new Uint8Array(32)
  if (depth > 0) new DataView(key.buffer).setUint32(0, (prefix * 2 ** (32 - depth)) >>> 0)
  return key
}

function hashOf(node: TreeNode | undefined): Uint8Array {
  if (node === undefined) return EMPTY
  return node.length === 96 ? node.subarray(0, 32) : node
}

function sorted(entries: readonly TreeEntry[]): TreeEntry[] {
  return [...entries].sort(([a], [b]) => compareKeys(a, b))
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}
