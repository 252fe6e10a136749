import { digest, digest2Bytes32, hashInto } from '@chainsafe/as-sha256'
import { hashParts } from '../encoding/hash.ts'

/** The hash of an empty subtree (and the root of an empty tree). */
export const EMPTY: Uint8Array = new Uint8Array(32)
/**
 * A leaf hashes 65 bytes (this tag ‖ key ‖ value hash), a parent 64 (left ‖ right): inputs of two
 * lengths, so a leaf never hashes like a parent and no proof can pass one off as the other.
 */
const LEAF = Uint8Array.of(0)

/** The hash of the leaf holding `key` with a value of hash `valueHash`. */
export function leafHash(key: Uint8Array, valueHash: Uint8Array): Uint8Array {
  return hashParts(LEAF, key, valueHash)
}

/** A leaf's hash input (tag ‖ key ‖ value hash), reused. */
const leafInput = new Uint8Array(65)

/** Writes at `at` of `into` the hash of the leaf whose key ‖ value hash are the 64 bytes of `entry` from `offset`. */
export function leafHashInto(entry: Uint8Array, offset: number, into: Uint8Array, at: number): void {
  leafInput[0] = LEAF[0]
  leafInput.set(entry.subarray(offset, offset + 64), 1)
  into.set(digest(leafInput), at)
}

/** The hash of a parent of two subtrees: SHA-256 of left ‖ right. */
export function internalHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return digest2Bytes32(left, right)
}

/** The parents' hashes of many child pairs at once: `pairs` holds left ‖ right per parent, `into` gets 32 bytes each. */
export function internalHashesInto(pairs: Uint8Array, into: Uint8Array): void {
  hashInto(pairs, into)
}

/** Bit `depth` of a 256-bit key, most significant first: 0 goes left, 1 right. */
export function bitAt(key: Uint8Array, depth: number): 0 | 1 {
  return ((key[depth >> 3] >> (7 - (depth & 7))) & 1) as 0 | 1
}
