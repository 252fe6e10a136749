import { equalBytes } from '../encoding/hash.ts'
import type { StateProof } from './state-tree.ts'
import { bitAt, EMPTY, internalHash, leafHash } from './tree-hashing.ts'

/** Most siblings a proof can have: one per bit of a key. */
const MAX_DEPTH = 256

/**
 * The root a proof from StateTree.prove leads to if `key` holds a value of hash `valueHash` (or,
 * with `valueHash` undefined, holds nothing); undefined when the proof cannot show that at all.
 */
export function provenRoot(
  key: Uint8Array,
  valueHash: Uint8Array | undefined,
  proof: StateProof,
): Uint8Array | undefined {
  const { siblings, leaf } = proof
  if (key.length !== 32 || siblings.length > MAX_DEPTH) return undefined
  if (siblings.some((s) => s.length !== 32)) return undefined
  let hash: Uint8Array
  if (valueHash !== undefined) {
    // Present: the path ends at this key's own leaf.
    if (valueHash.length !== 32) return undefined
    if (leaf !== undefined && !(equalBytes(leaf.key, key) && equalBytes(leaf.valueHash, valueHash)))
      return undefined
    hash = leafHash(key, valueHash)
  } else if (leaf === undefined) {
    hash = EMPTY // absent: the path ends in an empty subtree
  } else {
    // Absent: the path ends at another key's leaf, which shares the path so far.
    if (leaf.key.length !== 32 || leaf.valueHash.length !== 32 || equalBytes(leaf.key, key)) return undefined
    for (let depth = 0; depth < siblings.length; depth++)
      if (bitAt(leaf.key, depth) !== bitAt(key, depth)) return undefined
    hash = leafHash(leaf.key, leaf.valueHash)
  }
  for (let depth = siblings.length - 1; depth >= 0; depth--)
    hash = bitAt(key, depth) === 1 ? internalHash(siblings[depth], hash) : internalHash(hash, siblings[depth])
  return hash
}
