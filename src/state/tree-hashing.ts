import { hash } from '../encoding/hash.ts'

/** The hash of an empty subtree (and the root of an empty tree). */
export const EMPTY: Uint8Array = new Uint8Array(32)
/** First byte of an encoded leaf (key ‖ value hash) and of its hashed form: leaves and parents never collide. */
export const LEAF = 0
/** First byte of an encoded parent (left ‖ right). */
export const INTERNAL = 1

/** The hash of the leaf holding `key` with a value of hash `valueHash`. */
export function leafHash(key: Uint8Array, valueHash: Uint8Array): Uint8Array {
  const data = new Uint8Array(65)
  data[0] = LEAF
  data.set(key, 1)
  data.set(valueHash, 33)
  return hash(data)
}

/** The hash of a parent of two subtrees. */
export function internalHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const data = new Uint8Array(65)
  data[0] = INTERNAL
  data.set(left, 1)
  data.set(right, 33)
  return hash(data)
}

/** Bit `depth` of a 256-bit key, most significant first: 0 goes left, 1 right. */
export function bitAt(key: Uint8Array, depth: number): 0 | 1 {
  return ((key[depth >> 3] >> (7 - (depth & 7))) & 1) as 0 | 1
}
