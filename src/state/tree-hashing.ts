import { hashParts } from '../encoding/hash.ts'

/** The hash of an empty subtree (and the root of an empty tree). */
export const EMPTY: Uint8Array = new Uint8Array(32)
/** First byte of a hashed leaf (key ‖ value hash), and of a parent (left ‖ right): they never hash alike. */
const LEAF = Uint8Array.of(0)
const INTERNAL = Uint8Array.of(1)

/** The hash of the leaf holding `key` with a value of hash `valueHash`. */
export function leafHash(key: Uint8Array, valueHash: Uint8Array): Uint8Array {
  return hashParts(LEAF, key, valueHash)
}

/** The hash of a parent of two subtrees. */
export function internalHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return hashParts(INTERNAL, left, right)
}

/** Bit `depth` of a 256-bit key, most significant first: 0 goes left, 1 right. */
export function bitAt(key: Uint8Array, depth: number): 0 | 1 {
  return ((key[depth >> 3] >> (7 - (depth & 7))) & 1) as 0 | 1
}
