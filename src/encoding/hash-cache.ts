import { BoundedMap } from '../bounded-map.ts'
import { toHex } from './hash.ts'

/** A bounded map keyed by hash: past `limit` entries the oldest is forgotten. */
export class HashCache<T> {
  private readonly entries: BoundedMap<string, T>

  constructor(limit: number) {
    this.entries = new BoundedMap(limit)
  }

  /** The value remembered for `hash`, if it is still held. */
  get(hash: Uint8Array): T | undefined {
    return this.entries.get(toHex(hash))
  }

  /** Remembers a value for `hash`, forgetting the oldest entry when full. */
  remember(hash: Uint8Array, value: T): void {
    this.entries.set(toHex(hash), value)
  }
}

/** A bounded set of hashes: past `limit` members the oldest is forgotten. */
export class HashSet {
  private readonly cache: HashCache<true>

  constructor(limit: number) {
    this.cache = new HashCache(limit)
  }

  /** True when `hash` is a member. */
  has(hash: Uint8Array): boolean {
    return this.cache.get(hash) !== undefined
  }

  /** Adds `hash`. */
  add(hash: Uint8Array): void {
    this.cache.remember(hash, true)
  }
}
