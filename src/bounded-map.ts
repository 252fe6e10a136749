/**
 * A Map holding at most `limit` entries, for memory that strangers can fill: setting a key makes
 * it the newest, and past the limit the oldest entry is forgotten.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  private readonly limit: number

  constructor(limit: number) {
    super()
    this.limit = limit
  }

  /** Sets `key` as the newest entry, forgetting the oldest when over the limit. */
  override set(key: K, value: V): this {
    super.delete(key)
    super.set(key, value)
    if (this.size > this.limit) super.delete(this.keys().next().value as K)
    return this
  }
}
