/** One entry: a 32-byte key and the 32-byte hash of its value. */
export type TreeEntry = readonly [key: Uint8Array, valueHash: Uint8Array]

/** Bytes an entry takes: its key, then its value hash. */
export const ENTRY_BYTES = 64

/**
 * Tree entries packed in one buffer, 64 bytes each (key ‖ value hash): a million accounts are one
 * array, not three million objects for the garbage collector to trace while a tree is built.
 */
export class PackedEntries {
  #bytes: Uint8Array
  #count = 0

  constructor(capacity = 16) {
    this.#bytes = new Uint8Array(ENTRY_BYTES * Math.max(capacity, 1))
  }

  /** The entries of `list`, in its order. */
  static of(list: readonly TreeEntry[]): PackedEntries {
    const packed = new PackedEntries(list.length)
    for (const [key, valueHash] of list) {
      const at = packed.push()
      packed.#bytes.set(key, at)
      packed.#bytes.set(valueHash, at + 32)
    }
    return packed
  }

  /** How many entries there are. */
  get count(): number {
    return this.#count
  }

  /** The buffer: entry i's key at 64 i, its value hash at 64 i + 32 (valid until the next push). */
  get bytes(): Uint8Array {
    return this.#bytes
  }

  /** Adds an entry and returns its offset in `bytes`, for the caller to write its key and value hash at. */
  push(): number {
    if (ENTRY_BYTES * (this.#count + 1) > this.#bytes.length) {
      const bigger = new Uint8Array(this.#bytes.length * 2)
      bigger.set(this.#bytes)
      this.#bytes = bigger
    }
    return ENTRY_BYTES * this.#count++
  }

  /** Bit `depth` of entry i's key, most significant first. */
  keyBit(i: number, depth: number): 0 | 1 {
    return ((this.#bytes[ENTRY_BYTES * i + (depth >> 3)] >> (7 - (depth & 7))) & 1) as 0 | 1
  }

  /** Entry i's key against `key`: negative, zero or positive as it sorts before, with or after it. */
  compareKey(i: number, key: Uint8Array): number {
    const at = ENTRY_BYTES * i
    for (let b = 0; b < 32; b++) if (this.#bytes[at + b] !== key[b]) return this.#bytes[at + b] - key[b]
    return 0
  }

  /** The entries sorted by key, in a new buffer. */
  sorted(): PackedEntries {
    const n = this.#count
    const bytes = this.#bytes
    // The keys' first four bytes decide almost every comparison: compared as numbers, with no copies.
    const prefix = new Uint32Array(n)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (let i = 0; i < n; i++) prefix[i] = view.getUint32(ENTRY_BYTES * i)
    const order = new Uint32Array(n)
    for (let i = 0; i < n; i++) order[i] = i
    order.sort((a, b) => prefix[a] - prefix[b] || this.#compareEntries(a, b))
    const out = new PackedEntries(n)
    for (const i of order) out.#bytes.set(bytes.subarray(ENTRY_BYTES * i, ENTRY_BYTES * (i + 1)), out.push())
    return out
  }

  /**
   * Entries [lo, hi) with one more inserted before entry `at`: 64 bytes of `extra` from `offset`
   * (a leaf moving down beside the entries written under it).
   */
  sliceWith(lo: number, hi: number, at: number, extra: Uint8Array, offset: number): PackedEntries {
    const out = new PackedEntries(hi - lo + 1)
    out.#bytes.set(this.#bytes.subarray(ENTRY_BYTES * lo, ENTRY_BYTES * at), 0)
    out.#bytes.set(extra.subarray(offset, offset + ENTRY_BYTES), ENTRY_BYTES * (at - lo))
    out.#bytes.set(this.#bytes.subarray(ENTRY_BYTES * at, ENTRY_BYTES * hi), ENTRY_BYTES * (at - lo + 1))
    out.#count = hi - lo + 1
    return out
  }

  #compareEntries(a: number, b: number): number {
    const bytes = this.#bytes
    for (let i = 4; i < 32; i++) {
      const d = bytes[ENTRY_BYTES * a + i] - bytes[ENTRY_BYTES * b + i]
      if (d !== 0) return d
    }
    return 0
  }
}
