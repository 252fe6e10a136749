// Where a chain store keeps what: the key layout shared by the chain store and its history pruning.
import { encodeCbor } from '../encoding/cbor.ts'
import { toHex } from '../encoding/hash.ts'

/** The hash of best-chain block `index`. */
export const indexKey = (index: number): string => `i/${index.toString().padStart(12, '0')}`
/** The height of a best-chain block by its hash, so peers' chain locators cost no block decoding. */
export const heightKey = (hash: Uint8Array): string => `h/${toHex(hash)}`
/** A height record's value. */
export const encodeHeight = (index: number): Uint8Array => encodeCbor(index)
/** A stored block (best chain or side branch) by hash. */
export const blockKey = (hash: Uint8Array): string => `b/${toHex(hash)}`
/** The accounts of an installed snapshot, one key per chunk as received (a/ keys written later override them). */
export const snapshotChunkKey = (index: number): string => `k/${index.toString().padStart(5, '0')}`
/** A settled account changed since genesis. */
export const accountKey = (address: string): string => `a/${address}`
/** Side-branch blocks by height, so those too deep to ever be adopted can be pruned in order. */
export const sideKey = (index: number, hash?: Uint8Array): string =>
  `s/${index.toString().padStart(12, '0')}/${hash === undefined ? '' : toHex(hash)}`
