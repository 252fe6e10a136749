import { toHex } from '../encoding/hash.ts'
import type { BatchOp, Store } from '../ports.ts'
import type { TreeNodeSource } from './state-tree.ts'

/** Key prefix of state tree nodes in a node's store. */
const PREFIX = 'tree/'

/**
 * A state tree's nodes in a Store (LevelDB, IndexedDB), with the nodes of updates not yet
 * committed readable at once and a bounded cache of recent ones (the top of the tree is on every
 * path, so it is read from memory).
 */
export class TreeNodeStore implements TreeNodeSource {
  private readonly store: Store
  private readonly cache = new Map<string, Uint8Array>()
  private readonly maxCached: number

  constructor(store: Store, maxCached = 100_000) {
    this.store = store
    this.maxCached = maxCached
  }

  async get(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const key = PREFIX + toHex(hash)
    const cached = this.cache.get(key)
    if (cached !== undefined) {
      this.remember(key, cached) // most recently used last: the top of the tree stays
      return cached
    }
    const stored = await this.store.get(key)
    if (stored !== undefined) this.remember(key, stored)
    return stored
  }

  /** The batch operations that store `writes` (put them in the same atomic batch as what they commit to). */
  ops(writes: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): BatchOp[] {
    return writes.map(([hash, node]) => {
      const key = PREFIX + toHex(hash)
      this.remember(key, node)
      return { type: 'put', key, value: node }
    })
  }

  private remember(key: string, node: Uint8Array): void {
    this.cache.delete(key)
    this.cache.set(key, node)
    if (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value as string)
  }
}
