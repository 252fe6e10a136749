import { internalHashesInto, leafHashInto } from './tree-hashing.ts'

/** The index of an empty subtree. */
export const NONE = -1
/** `lefts[i]` of a leaf: its `rights[i]` is then the leaf's slot among the keys and value hashes. */
const LEAF = -2
const FIRST_CAPACITY = 64
/** Below this many nodes an arena is never compacted. */
const MIN_COMPACTION = 4096

/** A tree version whose nodes live in an arena: its top node, renumbered when the arena compacts. */
export interface ArenaRoot {
  top: number
}

/** The arrays nodes live in: hashes as 8 words a node, a leaf's key ‖ value hash as 16 words a slot. */
interface Space {
  lefts: Int32Array
  rights: Int32Array
  hashes: Int32Array
  leafWords: Int32Array
  /** The bytes of `hashes` and of `leafWords`. */
  hashBytes: Uint8Array
  leafBytes: Uint8Array
}

/**
 * The nodes of a family of sparse Merkle trees (a tree and every version updated from it), kept in
 * growing typed arrays rather than as objects: a million-account tree is a few arrays the garbage
 * collector never walks. Nodes are immutable once hashed and shared between versions; a version
 * builds new nodes only along the paths it changes. Nodes no live version reaches are reclaimed by
 * `compactIfWasteful`, which copies the reachable ones into a second space and renumbers the tops.
 */
export class TreeArena {
  #space: Space = newSpace(FIRST_CAPACITY, FIRST_CAPACITY)
  /** The space the last compaction left: the next one copies into it. */
  #spare: Space | undefined
  #nodes = 0
  #leaves = 0
  /** Nodes after the last compaction: the next one waits until as many more were made. */
  #liveAfterCompaction = 0
  #roots: Array<WeakRef<ArenaRoot>> = []
  /** Reused between batches, so hashing makes no garbage (new buffers would bring full collections). */
  #pairs = new Int32Array(16 * FIRST_CAPACITY)
  #out = new Int32Array(8 * FIRST_CAPACITY)

  /** Adds a parent of `left` and `right` (node indices or NONE); its hash is set by `hashParents`. */
  parent(left: number, right: number): number {
    const i = this.#newNode()
    this.#space.lefts[i] = left
    this.#space.rights[i] = right
    return i
  }

  /** Adds the leaf of the key ‖ value hash in the 64 bytes of `entry` from `offset`. */
  leaf(entry: Uint8Array, offset: number): number {
    const i = this.#newNode()
    const slot = this.#newLeafSlot()
    const { lefts, rights, hashBytes, leafBytes } = this.#space
    lefts[i] = LEAF
    rights[i] = slot
    leafBytes.set(entry.subarray(offset, offset + 64), 64 * slot)
    leafHashInto(entry, offset, hashBytes, 32 * i)
    return i
  }

  /** True when node `i` is a leaf. */
  isLeaf(i: number): boolean {
    return this.#space.lefts[i] === LEAF
  }

  /** The left child of parent `i` (or NONE). */
  left(i: number): number {
    return this.#space.lefts[i]
  }

  /** The right child of parent `i` (or NONE). */
  right(i: number): number {
    return this.#space.rights[i]
  }

  /** A copy of the hash of node `i` (32 zero bytes for NONE). */
  hash(i: number): Uint8Array {
    return i === NONE
      ? new Uint8Array(32)
      : new Uint8Array(this.#space.hashes.buffer.slice(32 * i, 32 * i + 32))
  }

  /** A copy of leaf `i`'s key ‖ value hash. */
  entry(i: number): Uint8Array {
    const at = 64 * this.#space.rights[i]
    return this.#space.leafBytes.slice(at, at + 64)
  }

  /** A copy of leaf `i`'s key. */
  key(i: number): Uint8Array {
    const at = 64 * this.#space.rights[i]
    return this.#space.leafBytes.slice(at, at + 32)
  }

  /** A copy of leaf `i`'s value hash. */
  valueHash(i: number): Uint8Array {
    const at = 64 * this.#space.rights[i] + 32
    return this.#space.leafBytes.slice(at, at + 32)
  }

  /** Bit `depth` of leaf `i`'s key. */
  keyBit(i: number, depth: number): 0 | 1 {
    const byte = this.#space.leafBytes[64 * this.#space.rights[i] + (depth >> 3)]
    return ((byte >> (7 - (depth & 7))) & 1) as 0 | 1
  }

  /** Hashes `parents` (whose children are all hashed already) in one batch. */
  hashParents(parents: readonly number[]): void {
    const { lefts, rights, hashes } = this.#space
    if (this.#out.length < 8 * parents.length) {
      this.#pairs = new Int32Array(32 * parents.length)
      this.#out = new Int32Array(16 * parents.length)
    }
    const pairs = this.#pairs
    const out = this.#out
    for (let n = 0; n < parents.length; n++) {
      const left = lefts[parents[n]]
      const right = rights[parents[n]]
      for (let w = 0; w < 8; w++) pairs[16 * n + w] = left === NONE ? 0 : hashes[8 * left + w]
      for (let w = 0; w < 8; w++) pairs[16 * n + 8 + w] = right === NONE ? 0 : hashes[8 * right + w]
    }
    internalHashesInto(
      new Uint8Array(pairs.buffer, 0, 64 * parents.length),
      new Uint8Array(out.buffer, 0, 32 * parents.length),
    )
    for (let n = 0; n < parents.length; n++)
      for (let w = 0; w < 8; w++) hashes[8 * parents[n] + w] = out[8 * n + w]
  }

  /** Tracks a version so that compaction keeps what it reaches and renumbers its top. */
  track(root: ArenaRoot): void {
    // The first version's nodes are all kept: compaction waits until as many more were made.
    if (this.#roots.length === 0) {
      this.#liveAfterCompaction = this.#nodes
      this.#reserveUntilCompaction()
    }
    this.#roots.push(new WeakRef(root))
  }

  /**
   * Reclaims the nodes no tracked version reaches once as many nodes were made since the last
   * compaction as it kept: each node is copied at most once per doubling, so the cost per node
   * made stays constant.
   */
  compactIfWasteful(): void {
    if (this.#nodes < Math.max(2 * this.#liveAfterCompaction, MIN_COMPACTION)) return
    const roots = this.#roots.map((ref) => ref.deref()).filter((root) => root !== undefined)
    const from = this.#space
    const to =
      this.#spare?.lefts.length === from.lefts.length &&
      this.#spare.leafWords.length === from.leafWords.length
        ? this.#spare
        : newSpace(from.lefts.length, from.leafWords.length / 16)
    const renumbered = new Int32Array(this.#nodes).fill(NONE)
    const counts = { nodes: 0, leaves: 0 }
    // Newest first: the tip's paths come out together, whichever older versions still hold on.
    for (const root of roots.reverse()) root.top = copyReachable(from, to, root.top, renumbered, counts)
    this.#space = to
    this.#spare = from
    this.#nodes = counts.nodes
    this.#leaves = counts.leaves
    this.#roots = roots.reverse().map((root) => new WeakRef(root))
    this.#liveAfterCompaction = counts.nodes
    this.#reserveUntilCompaction()
  }

  /**
   * Makes room at once for every node and leaf until the next compaction (twice what is kept, and
   * a quarter more for the update that crosses it), so a large tree's arrays are not grown, and
   * copied whole, in the middle of importing blocks.
   */
  #reserveUntilCompaction(): void {
    const nodes = Math.max(Math.ceil(2.25 * this.#liveAfterCompaction), MIN_COMPACTION)
    const leaves = Math.max(Math.ceil(2.25 * this.#leaves), FIRST_CAPACITY)
    const space = this.#space
    if (space.lefts.length >= nodes && space.leafWords.length >= 16 * leaves) return
    const to = newSpace(Math.max(nodes, space.lefts.length), Math.max(leaves, space.leafWords.length / 16))
    to.lefts.set(space.lefts.subarray(0, this.#nodes))
    to.rights.set(space.rights.subarray(0, this.#nodes))
    to.hashes.set(space.hashes.subarray(0, 8 * this.#nodes))
    to.leafWords.set(space.leafWords.subarray(0, 16 * this.#leaves))
    this.#space = to
    this.#spare = undefined
  }

  #newNode(): number {
    const space = this.#space
    if (this.#nodes === space.lefts.length) {
      const hashes = grown(space.hashes)
      this.#space = {
        ...space,
        lefts: grown(space.lefts),
        rights: grown(space.rights),
        hashes,
        hashBytes: new Uint8Array(hashes.buffer),
      }
      this.#spare = undefined
    }
    return this.#nodes++
  }

  #newLeafSlot(): number {
    if (16 * this.#leaves === this.#space.leafWords.length) {
      const leafWords = grown(this.#space.leafWords)
      this.#space = { ...this.#space, leafWords, leafBytes: new Uint8Array(leafWords.buffer) }
      this.#spare = undefined
    }
    return this.#leaves++
  }
}

/**
 * Copies the nodes under `top` in `from` that are not yet in `to` (`renumbered` is -1 for those),
 * children before parents, without recursion; returns `top`'s number in `to`.
 */
function copyReachable(
  from: Space,
  to: Space,
  top: number,
  renumbered: Int32Array,
  counts: { nodes: number; leaves: number },
): number {
  if (top === NONE || renumbered[top] !== NONE) return top === NONE ? NONE : renumbered[top]
  const stack: number[] = [top]
  while (stack.length > 0) {
    const old = stack[stack.length - 1]
    let left = from.lefts[old]
    let right = from.rights[old]
    if (left === LEAF) {
      to.leafWords.set(from.leafWords.subarray(16 * right, 16 * right + 16), 16 * counts.leaves)
      right = counts.leaves++
    } else {
      if (left !== NONE && renumbered[left] === NONE) {
        stack.push(left)
        continue
      }
      if (right !== NONE && renumbered[right] === NONE) {
        stack.push(right)
        continue
      }
      left = left === NONE ? NONE : renumbered[left]
      right = right === NONE ? NONE : renumbered[right]
    }
    stack.pop()
    const i = counts.nodes++
    to.lefts[i] = left
    to.rights[i] = right
    for (let w = 0; w < 8; w++) to.hashes[8 * i + w] = from.hashes[8 * old + w]
    renumbered[old] = i
  }
  return renumbered[top]
}

function newSpace(nodes: number, leaves: number): Space {
  const hashes = new Int32Array(8 * nodes)
  const leafWords = new Int32Array(16 * leaves)
  return {
    lefts: new Int32Array(nodes),
    rights: new Int32Array(nodes),
    hashes,
    leafWords,
    hashBytes: new Uint8Array(hashes.buffer),
    leafBytes: new Uint8Array(leafWords.buffer),
  }
}

/** A copy of `array` with twice the room. */
function grown(array: Int32Array): Int32Array {
  const bigger = new Int32Array(array.length * 2)
  bigger.set(array)
  return bigger
}
