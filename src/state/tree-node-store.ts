import { equalBytes, toHex } from '../encoding/hash.ts'
import type { BatchOp, Store } from '../ports.ts'
import type { TreeNodeSource } from './state-tree.ts'
import { nodeHash } from './tree-hashing.ts'

interface Cached {
  hash: Uint8Array
  node: Uint8Array
}

/** A hash's first 48 bits as a number: a cache key (a clash only costs a store read). */
function shortKey(hash: Uint8Array): number {
  return (
    ((hash[0] << 16) | (hash[1] << 8) | hash[2]) * 0x1000000 + ((hash[3] << 16) | (hash[4] << 8) | hash[5])
  )
}

/** Key prefix of state tree nodes in a node's store. */
const PREFIX = 'tree/'

/**
 * A state tree's nodes in a Store (LevelDB, IndexedDB), keyed by hash: the nodes of updates not
 * yet committed are readable at once, recent ones are kept in memory (the top of the tree is on
 * every path), and a node read from the store is checked against its hash, so a damaged store
 * fails as a missing node rather than giving a wrong answer.
 */
export class TreeNodeStore implements TreeNodeSource {
  private readonly store: Store
  private readonly maxCached: number
  /**
   * Two generations, keyed by a hash's first 48 bits (a number: no hex on the hot path): a hit in
   * the old one moves the node to the young one; a full young one becomes the old.
   */
  private young = new Map<number, Cached>()
  private old = new Map<number, Cached>()

  /** Keeps about `maxCached` recently used nodes (65 bytes each) in memory. */
  constructor(store: Store, maxCached = 200_000) {
    this.store = store
    this.maxCached = maxCached
  }

  async get(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const slot = shortKey(hash)
    const young = this.young.get(slot)
    if (young !== undefined && equalBytes(young.hash, hash)) return young.node
    const old = this.old.get(slot)
    if (old !== undefined && equalBytes(old.hash, hash)) {
      this.remember(old)
      return old.node
    }
    const node = await this.store.get(PREFIX + toHex(hash))
    if (node === undefined || !equalBytes(nodeHash(node), hash)) return undefined
    this.remember({ hash, node })
    return node
  }

  /** The batch operations that store `writes` (put them in the same atomic batch as what they commit to). */
  ops(writes: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): BatchOp[] {
    return writes.map(([hash, node]) => {
      this.remember({ hash, node })
      return { type: 'put', key: PREFIX + toHex(hash), value: node }
    })
  }

  private remember(entry: Cached): void {
    this.young.set(shortKey(entry.hash), entry)
    if (this.young.size < this.maxCached / 2) return
    this.old = this.young
    this.young = new Map()
  }
}
