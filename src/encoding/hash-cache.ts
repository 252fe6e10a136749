import { toHex } from './hash.ts'

/** A bounded map keyed by hash: past `limit` entries the oldest is forgotten. */
export class HashCache<T> {
  private readonly entries = new Map<string, T>()
  private readonly limit: number

  constructor(limit: number) {
    this.limit = limit
  }

  /** The value remembered for `hash`, if it is still held. */
  get(hash: Uint8Array): T | undefined {
    return this.entries.get(toHex(hash))
  }

  /** Remembers a value for `hash`, forgetting the oldest entry when full. */
  remember(hash: Uint8Array, value: T): void {
    const key = toHex(hash)
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string)
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
