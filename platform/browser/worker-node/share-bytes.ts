// The byte arrays of a batch of events (a block's keys, signature, hashes and encoding) are copied
// into one buffer before the batch crosses to the page. Cloned one by one, each would become an
// ArrayBuffer of its own on the page: when blocks crossed with their transactions, the thousands
// of small buffers per message held the page's main thread for up to 140 ms while a worker synced;
// with blocks crossing lazily (lazy-block.ts) there are still eight per block.
// The one buffer is copied with the message, not transferred: a transferred buffer becomes a Blink
// object on the page, and sweeping those from Blink's heap held the page's thread for 60-100 ms
// (traced while a worker synced 10,000 blocks); copying ~100 KB per message costs microseconds.

/** A copy of plain data whose byte arrays are views into one new buffer: the page then receives one ArrayBuffer per message, not one per array. */
export function shareBytes<T>(value: T): T {
  let total = 0
  const measure = (v: unknown): void => {
    if (v instanceof Uint8Array) total += v.length
    else if (Array.isArray(v)) for (const item of v) measure(item)
    else if (isRecord(v)) for (const key in v) measure(v[key])
  }
  measure(value)
  if (total === 0) return value
  const shared = new Uint8Array(total)
  let at = 0
  const copy = (v: unknown): unknown => {
    if (v instanceof Uint8Array) {
      shared.set(v, at)
      at += v.length
      return shared.subarray(at - v.length, at)
    }
    if (Array.isArray(v)) return v.map(copy)
    if (!isRecord(v)) return v
    const out: Record<string, unknown> = {}
    for (const key in v) out[key] = copy(v[key])
    return out
  }
  return copy(value) as T
}

/** A plain object (not an array, a byte array, an error or another class's instance). */
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype
}
