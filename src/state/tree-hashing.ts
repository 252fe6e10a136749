import { hash } from '../encoding/hash.ts'

/** The hash of an empty subtree (and the root of an empty tree). */
export const EMPTY: Uint8Array = new Uint8Array(32)
/** First byte of an encoded leaf (key ‖ value hash): leaves and parents never hash alike. */
export const LEAF = 0
/** First byte of an encoded parent (left ‖ right). */
export const INTERNAL = 1

/** The 65-byte encoding of a leaf holding `key` with a value of hash `valueHash`; its hash is the leaf's. */
export function leafNode(key: Uint8Array, valueHash: Uint8Array): Uint8Array {
  return node(LEAF, key, valueHash)
}

/** The 65-byte encoding of a parent of two subtrees; its hash is the parent's. */
export function internalNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return node(INTERNAL, left, right)
}

/** The hash of an encoded node: a tree node is stored and found by it. */
export const nodeHash = hash

/** The hash of the leaf holding `key` with a value of hash `valueHash`. */
export function leafHash(key: Uint8Array, valueHash: Uint8Array): Uint8Array {
  return hash(leafNode(key, valueHash))
}

/** The hash of a parent of two subtrees. */
export function internalHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return hash(internalNode(left, right))
}

/** Bit `depth` of a 256-bit key, most significant first: 0 goes left, 1 right. */
export function bitAt(key: Uint8Array, depth: number): 0 | 1 {
  return ((key[depth >> 3] >> (7 - (depth & 7))) & 1) as 0 | 1
}

function node(kind: number, a: Uint8Array, b: Uint8Array): Uint8Array {
  const data = new Uint8Array(65)
  data[0] = kind
  data.set(a, 1)
  data.set(b, 33)
  return data
}
