import { equalBytes } from '../encoding/hash.ts'
import { ENTRY_BYTES, PackedEntries, type TreeEntry } from './packed-entries.ts'
import { type ArenaRoot, NONE, TreeArena } from './tree-arena.ts'
import { bitAt, EMPTY, internalHash } from './tree-hashing.ts'

export type { TreeEntry } from './packed-entries.ts'

/**
 * A sparse Merkle tree over 256-bit keys: the authenticated map a state root commits to. A subtree
 * holding one entry is that entry's leaf, wherever it sits, and an empty one is 32 zero bytes, so
 * the tree is as deep as its keys' shared prefixes (~log2 n for hashed keys; a longer shared prefix
 * costs its maker 2^bits of grinding) and its root is a function of the entries alone, whatever
 * order or batches they were written in. Nodes are immutable and linked parent to child in a
 * TreeArena shared by a tree and its updates: an update builds new nodes along the paths of the
 * keys it changes and shares every other subtree with the tree before, so forks cost only what
 * differs and reads follow links from the root.
 *
 * ```ts
 * const tree = StateTree.of([[key, valueHash]])
 * const next = tree.update([[key, otherHash]])   // tree still reads as it was
 * verifyStateProof(next.root, key, otherHash, next.prove(key)) === true
 * ```
 */

/** Entries as a list of pairs or packed (see PackedEntries); at most one per key. */
export type Entries = readonly TreeEntry[] | PackedEntries

/** The path from a root to where a key is or would be: sibling hashes from the top, and the leaf met. */
export interface StateProof {
  siblings: Uint8Array[]
  /** The leaf at the end of the path: the key's own, another key's (the key is absent), or none (empty). */
  leaf?: { key: Uint8Array; valueHash: Uint8Array }
}

/** An immutable sparse Merkle tree; `update` returns the next one and leaves this one as it was. */
export class StateTree {
  /** The root hash (EMPTY for no entries). */
  readonly root: Uint8Array
  readonly #arena: TreeArena
  readonly #at: ArenaRoot

  private constructor(arena: TreeArena, top: number) {
    this.#arena = arena
    this.#at = { top }
    arena.track(this.#at)
    this.root = arena.hash(top)
  }

  /** The tree of `entries` (at most one per key), in an arena of its own. */
  static of(entries: Entries): StateTree {
    const arena = new TreeArena()
    return new StateTree(arena, write(arena, NONE, 0, packed(entries)))
  }

  /** The tree with `entries` (at most one per key) added or changed; entries are never removed. */
  update(entries: Entries): StateTree {
    const list = packed(entries)
    if (list.count === 0) return this
    const next = new StateTree(this.#arena, write(this.#arena, this.#at.top, 0, list))
    this.#arena.compactIfWasteful()
    return next
  }

  /** The proof of `key`: of its value when present, of its absence otherwise. */
  prove(key: Uint8Array): StateProof {
    const arena = this.#arena
    const siblings: Uint8Array[] = []
    let node = this.#at.top
    for (let depth = 0; node !== NONE; depth++) {
      if (arena.isLeaf(node))
        return { siblings, leaf: { key: arena.key(node), valueHash: arena.valueHash(node) } }
      const bit = bitAt(key, depth)
      siblings.push(arena.hash(bit === 1 ? arena.left(node) : arena.right(node)))
      node = bit === 1 ? arena.right(node) : arena.left(node)
    }
    return { siblings }
  }

  /**
   * The 2^depth subtrees at `depth`, left to right, each as it would stand alone (see Subtree):
   * with the entries of each, a snapshot's chunks can be checked one by one against the root.
   */
  subtrees(depth: number): Subtree[] {
    const arena = this.#arena
    const out: Subtree[] = Array.from({ length: 2 ** depth }, () => EMPTY_SUBTREE)
    const walk = (node: number, at: number, prefix: number): void => {
      if (node === NONE) return
      if (arena.isLeaf(node)) {
        // A leaf above `depth` stands for the one subtree its key leads to.
        let index = prefix
        for (let d = at; d < depth; d++) index = index * 2 + arena.keyBit(node, d)
        out[index] = { hash: arena.hash(node), kind: 'leaf' }
      } else if (at === depth) out[prefix] = { hash: arena.hash(node), kind: 'parent' }
      else {
        walk(arena.left(node), at + 1, prefix * 2)
        walk(arena.right(node), at + 1, prefix * 2 + 1)
      }
    }
    walk(this.#at.top, 0, 0)
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
export function subtreeOf(entries: Entries, depth: number): Subtree {
  const list = packed(entries)
  if (list.count === 0) return EMPTY_SUBTREE
  const arena = new TreeArena()
  return {
    hash: arena.hash(write(arena, NONE, depth, list)),
    kind: list.count === 1 ? 'leaf' : 'parent',
  }
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
 * written in, as a node of `arena`. New parents are hashed after the paths are laid, a level at a
 * time from the deepest, in batches.
 */
function write(arena: TreeArena, node: number, depth: number, entries: PackedEntries): number {
  const parents: number[][] = []
  const list = entries.sorted()
  const top = writeAt(arena, node, depth, list, 0, list.count, parents)
  for (let at = parents.length - 1; at >= depth; at--)
    if (parents[at] !== undefined) arena.hashParents(parents[at])
  return top
}

/** `node` (at `depth`) with entries [lo, hi) (sorted, all under its prefix) written in; new parents go in `parents`. */
function writeAt(
  arena: TreeArena,
  node: number,
  depth: number,
  entries: PackedEntries,
  lo: number,
  hi: number,
  parents: number[][],
): number {
  if (lo === hi) return node
  if (node !== NONE && !arena.isLeaf(node))
    return writeParent(arena, arena.left(node), arena.right(node), depth, entries, lo, hi, parents)
  if (node !== NONE) {
    // A leaf: it moves down beside the new entries, unless one of them replaces it.
    const leaf = arena.entry(node)
    const at = lowerBound(entries, lo, hi, leaf)
    if (at === hi || entries.compareKey(at, leaf) !== 0) {
      const below = entries.sliceWith(lo, hi, at, leaf, 0)
      return writeParent(arena, NONE, NONE, depth, below, 0, below.count, parents)
    }
  }
  if (hi - lo > 1) return writeParent(arena, NONE, NONE, depth, entries, lo, hi, parents)
  return arena.leaf(entries.bytes, ENTRY_BYTES * lo)
}

/** A parent at `depth` over `left` and `right` with entries [lo, hi) written in (hashed later, with its level). */
function writeParent(
  arena: TreeArena,
  left: number,
  right: number,
  depth: number,
  entries: PackedEntries,
  lo: number,
  hi: number,
  parents: number[][],
): number {
  // Sorted keys with the same first `depth` bits: those with bit `depth` set come last.
  let split = lo
  let end = hi
  while (split < end) {
    const mid = (split + end) >> 1
    if (entries.keyBit(mid, depth) === 1) end = mid
    else split = mid + 1
  }
  const leftAfter = writeAt(arena, left, depth + 1, entries, lo, split, parents)
  const rightAfter = writeAt(arena, right, depth + 1, entries, split, hi, parents)
  const parent = arena.parent(leftAfter, rightAfter)
  parents[depth] ??= []
  parents[depth].push(parent)
  return parent
}

/** The first index in entries [lo, hi) (sorted) whose key is not below the first 32 bytes of `key`. */
function lowerBound(entries: PackedEntries, lo: number, hi: number, key: Uint8Array): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (entries.compareKey(mid, key) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

function packed(entries: Entries): PackedEntries {
  return entries instanceof PackedEntries ? entries : PackedEntries.of(entries)
}
