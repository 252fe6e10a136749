import { equalBytes } from '../encoding/hash.ts'
import { bitAt, EMPTY, internalHash, internalHashesInto, leafHash } from './tree-hashing.ts'

/**
 * A sparse Merkle tree over 256-bit keys: the authenticated map a state root commits to. A subtree
 * holding one entry is that entry's leaf, wherever it sits, and an empty one is 32 zero bytes, so
 * the tree is as deep as its keys' shared prefixes (~log2 n for hashed keys; a longer shared prefix
 * costs its maker 2^bits of grinding) and its root is a function of the entries alone, whatever
 * order or batches they were written in. Nodes are immutable objects linked parent to child: an
 * update builds new nodes along the paths of the keys it changes and shares every other subtree
 * with the tree before, so forks cost only what differs, reads follow pointers from the root, and
 * trees nobody holds any more are simply collected.
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

/** A node: a leaf (with its key and value hash) or a parent (with its children; undefined is empty). */
interface TreeNode {
  /** Final once the update that made the node has hashed its level. */
  hash: Uint8Array
  left: TreeNode | undefined
  right: TreeNode | undefined
  key: Uint8Array | undefined
  valueHash: Uint8Array | undefined
}

/** An immutable sparse Merkle tree; `update` returns the next one and leaves this one as it was. */
export class StateTree {
  /** The root hash (EMPTY for no entries). */
  readonly root: Uint8Array
  readonly #top: TreeNode | undefined

  private constructor(top: TreeNode | undefined) {
    this.#top = top
    this.root = hashOf(top)
  }

  /** The tree of `entries` (at most one per key). */
  static of(entries: readonly TreeEntry[]): StateTree {
    return new StateTree(write(undefined, 0, entries))
  }

  /** The tree with `entries` (at most one per key) added or changed; entries are never removed. */
  update(entries: readonly TreeEntry[]): StateTree {
    if (entries.length === 0) return this
    return new StateTree(write(this.#top, 0, entries))
  }

  /** The proof of `key`: of its value when present, of its absence otherwise. */
  prove(key: Uint8Array): StateProof {
    const siblings: Uint8Array[] = []
    let node = this.#top
    for (let depth = 0; node !== undefined; depth++) {
      if (node.key !== undefined && node.valueHash !== undefined)
        return { siblings, leaf: { key: node.key, valueHash: node.valueHash } }
      const bit = bitAt(key, depth)
      siblings.push(hashOf(bit === 1 ? node.left : node.right))
      node = bit === 1 ? node.right : node.left
    }
    return { siblings }
  }

  /**
   * The 2^depth subtrees at `depth`, left to right, each as it would stand alone (see Subtree):
   * with the entries of each, a snapshot's chunks can be checked one by one against the root.
   */
  subtrees(depth: number): Subtree[] {
    const out: Subtree[] = Array.from({ length: 2 ** depth }, () => EMPTY_SUBTREE)
    const walk = (node: TreeNode | undefined, at: number, prefix: number): void => {
      if (node === undefined) return
      if (node.key !== undefined) {
        // A leaf above `depth` stands for the one subtree its key leads to.
        let index = prefix
        for (let d = at; d < depth; d++) index = index * 2 + bitAt(node.key, d)
        out[index] = { hash: node.hash, kind: 'leaf' }
      } else if (at === depth) out[prefix] = { hash: node.hash, kind: 'parent' }
      else {
        walk(node.left, at + 1, prefix * 2)
        walk(node.right, at + 1, prefix * 2 + 1)
      }
    }
    walk(this.#top, 0, 0)
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
  return { hash: hashOf(write(undefined, depth, entries)), kind: entries.length === 1 ? 'leaf' : 'parent' }
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
 * The subtree `node` (at depth `depth`) with `entries` (at most one per key, all under its prefix)
 * written in. New parents are hashed after the paths are laid, a level at a time from the deepest,
 * in batches.
 */
function write(
  node: TreeNode | undefined,
  depth: number,
  entries: readonly TreeEntry[],
): TreeNode | undefined {
  const parents: TreeNode[][] = []
  const top = writeAt(node, depth, sorted(entries), 0, entries.length, parents)
  for (let at = parents.length - 1; at >= depth; at--) if (parents[at] !== undefined) hashParents(parents[at])
  return top
}

/** `node` (at `depth`) with `entries[lo, hi)` (sorted, all under its prefix) written in; new parents go in `parents`. */
function writeAt(
  node: TreeNode | undefined,
  depth: number,
  entries: readonly TreeEntry[],
  lo: number,
  hi: number,
  parents: TreeNode[][],
): TreeNode | undefined {
  if (lo === hi) return node
  if (node !== undefined && node.key === undefined)
    return writeParent(node.left, node.right, depth, entries, lo, hi, parents)
  if (node?.key !== undefined && node.valueHash !== undefined) {
    // A leaf: it moves down beside the new entries, unless one of them replaces it.
    const at = lowerBound(entries, lo, hi, node.key)
    if (at === hi || !equalBytes(entries[at][0], node.key)) {
      const below = [...entries.slice(lo, at), [node.key, node.valueHash] as const, ...entries.slice(at, hi)]
      return writeParent(undefined, undefined, depth, below, 0, below.length, parents)
    }
  }
  if (hi - lo > 1) return writeParent(undefined, undefined, depth, entries, lo, hi, parents)
  const [key, valueHash] = entries[lo]
  return { hash: leafHash(key, valueHash), left: undefined, right: undefined, key, valueHash }
}

/** A parent at `depth` over `left` and `right` with `entries[lo, hi)` written in (its hash comes later). */
function writeParent(
  left: TreeNode | undefined,
  right: TreeNode | undefined,
  depth: number,
  entries: readonly TreeEntry[],
  lo: number,
  hi: number,
  parents: TreeNode[][],
): TreeNode {
  // Sorted keys with the same first `depth` bits: those with bit `depth` set come last.
  let split = lo
  let end = hi
  while (split < end) {
    const mid = (split + end) >> 1
    if (bitAt(entries[mid][0], depth) === 1) end = mid
    else split = mid + 1
  }
  const parent: TreeNode = {
    hash: EMPTY,
    left: writeAt(left, depth + 1, entries, lo, split, parents),
    right: writeAt(right, depth + 1, entries, split, hi, parents),
    key: undefined,
    valueHash: undefined,
  }
  parents[depth] ??= []
  parents[depth].push(parent)
  return parent
}

/** Hashes parents of one depth (their children all final) in one batch. */
function hashParents(level: readonly TreeNode[]): void {
  const pairs = new Uint8Array(64 * level.length)
  level.forEach((parent, i) => {
    pairs.set(hashOf(parent.left), 64 * i)
    pairs.set(hashOf(parent.right), 64 * i + 32)
  })
  const hashes = new Uint8Array(32 * level.length)
  internalHashesInto(pairs, hashes)
  level.forEach((parent, i) => {
    parent.hash = hashes.subarray(32 * i, 32 * i + 32)
  })
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

function hashOf(node: TreeNode | undefined): Uint8Array {
  return node === undefined ? EMPTY : node.hash
}

function sorted(entries: readonly TreeEntry[]): TreeEntry[] {
  return [...entries].sort(([a], [b]) => compareKeys(a, b))
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}
