/** Marks a key as absent in a rerooted old root: the key had no value then. */
const ABSENT = Symbol('absent')

/**
 * A map as a stack of layers, one per block, over a root holding everything: a new layer holds only
 * what one block changed, and states of a fork share every layer below the fork. `settle` makes a
 * layer the root at the cost of what it changed (rerooting, as AccountLayer does), so older layers
 * still read as they were. Used for the state commitment's tree nodes and buckets.
 */
export class LayeredMap<K, V> {
  #parent: LayeredMap<K, V> | undefined
  #own = new Map<K, V | typeof ABSENT>()

  private constructor(parent: LayeredMap<K, V> | undefined) {
    this.#parent = parent
  }

  /** A root layer holding `entries`. */
  static root<K, V>(entries: Iterable<[K, V]> = []): LayeredMap<K, V> {
    const root = new LayeredMap<K, V>(undefined)
    for (const [key, value] of entries) root.#own.set(key, value)
    return root
  }

  /** The value of `key` in this layer's state, or undefined. */
  get(key: K): V | undefined {
    for (let layer: LayeredMap<K, V> | undefined = this; layer !== undefined; layer = layer.#parent) {
      const value = layer.#own.get(key)
      if (value !== undefined) return value === ABSENT ? undefined : value
    }
    return undefined
  }

  /** A new empty layer on top of this one. */
  child(): LayeredMap<K, V> {
    return new LayeredMap(this)
  }

  /** Sets `key` in this layer (only on a layer no other state reads yet). */
  set(key: K, value: V): void {
    this.#own.set(key, value)
  }

  /** Makes this layer the root; the layer below must be the root (settle in order). */
  settle(): void {
    const root = this.#parent
    if (root === undefined) return
    if (root.#parent !== undefined) throw new Error('settle the layers below first')
    const all = root.#own
    const replaced = new Map<K, V | typeof ABSENT>()
    for (const [key, value] of this.#own) {
      replaced.set(key, all.get(key) ?? ABSENT)
      all.set(key, value)
    }
    root.#own = replaced
    root.#parent = this
    this.#own = all
    this.#parent = undefined
  }
}
