// The core's Store on IndexedDB directly: one object store, UTF-8 byte keys (IndexedDB compares
// binary keys bytewise, the order the Store promises), byte values. The layout is browser-level's
// (database `<prefix><name>`, object store `<name>`), so chains it stored open unchanged.
import { StoreUnavailableError } from '../../src/errors.ts'
import type { BatchOp, KeyRange, Store } from '../../src/ports.ts'
import { translate } from '../level-store.ts'

/** Entries read per IndexedDB transaction while iterating (the consumer runs between them). */
const CHUNK = 256

const utf8 = new TextEncoder()
const text = new TextDecoder()

/** Resolves with a request's result, or rejects with its error. */
function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'))
  })
}

/** Resolves when a transaction commits; rejects with why it aborted (QuotaExceededError, …). */
function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve()
    transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'))
    transaction.onerror = (event) => event.preventDefault()
  })
}

/** Opens (creating if needed) the database `database` holding the object store `name`. */
export async function openIdbStore(database: string, name: string): Promise<Store> {
  const where = `IndexedDB ${database}`
  const request = indexedDB.open(database, 1)
  request.onupgradeneeded = () => {
    if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name)
  }
  let db: IDBDatabase
  try {
    db = await done(request)
  } catch (err) {
    throw translate(err, `cannot open store ${where}`)
  }
  // Another tab deleting or upgrading the database must not wait on this connection.
  db.onversionchange = () => db.close()
  return new IdbStore(db, name, where)
}

class IdbStore implements Store {
  private closed = false
  private readonly db: IDBDatabase
  private readonly name: string
  private readonly where: string

  constructor(db: IDBDatabase, name: string, where: string) {
    this.db = db
    this.name = name
    this.where = where
  }

  private objectStore(mode: IDBTransactionMode, what: string): IDBObjectStore {
    if (this.closed) throw new StoreUnavailableError(`cannot ${what} ${this.where}: the store is closed`)
    try {
      return this.db.transaction(this.name, mode).objectStore(this.name)
    } catch (err) {
      throw translate(err, `cannot ${what} ${this.where}`)
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const store = this.objectStore('readonly', 'read')
    try {
      const value: unknown = await done(store.get(utf8.encode(key)))
      return value === undefined ? undefined : asBytes(value)
    } catch (err) {
      throw translate(err, `cannot read ${this.where}`)
    }
  }

  async batch(ops: BatchOp[]): Promise<void> {
    const store = this.objectStore('readwrite', 'write')
    const finished = committed(store.transaction)
    finished.catch(() => {})
    try {
      for (const op of ops) {
        if (typeof op.key !== 'string') throw new TypeError(`a key must be a string, not ${typeof op.key}`)
        if (op.type === 'put') store.put(op.value, utf8.encode(op.key))
        else store.delete(utf8.encode(op.key))
      }
    } catch (err) {
      // A write the browser refuses at once (a value it cannot store): none of the batch lands.
      store.transaction.abort()
      throw translate(err, `cannot write ${this.where}`)
    }
    try {
      store.transaction.commit()
      await finished
    } catch (err) {
      throw translate(err, `cannot write ${this.where}`)
    }
  }

  async *entries(range: KeyRange = {}): AsyncIterable<[string, Uint8Array]> {
    const { prefix, reverse = false } = range
    let left = range.limit === undefined || range.limit < 0 ? Number.POSITIVE_INFINITY : range.limit
    let lower = prefix ?? range.gte
    let upper = prefix !== undefined ? `${prefix}\uffff` : range.lt
    let lowerOpen = false
    while (left > 0) {
      const chunk = await this.readChunk(lower, lowerOpen, upper, reverse, Math.min(left, CHUNK))
      for (const entry of chunk) yield entry
      if (chunk.length < Math.min(left, CHUNK)) return
      left -= chunk.length
      // The next chunk starts just past the last key read (the upper bound is always open).
      const last = chunk[chunk.length - 1][0]
      if (reverse) upper = last
      else [lower, lowerOpen] = [last, true]
    }
  }

  /** Up to `count` entries in one transaction, from the lower or (reverse) the upper end of the range. */
  private async readChunk(
    lower: string | undefined,
    lowerOpen: boolean,
    upper: string | undefined,
    reverse: boolean,
    count: number,
  ): Promise<Array<[string, Uint8Array]>> {
    const store = this.objectStore('readonly', 'read')
    const [low, high] = [lower && utf8.encode(lower), upper && utf8.encode(upper)]
    if (low && high && indexedDB.cmp(low, high) >= 0) return []
    const keys =
      low && high
        ? IDBKeyRange.bound(low, high, lowerOpen, true)
        : low
          ? IDBKeyRange.lowerBound(low, lowerOpen)
          : high
            ? IDBKeyRange.upperBound(high, true)
            : null
    const out: Array<[string, Uint8Array]> = []
    const cursor = store.openCursor(keys, reverse ? 'prev' : 'next')
    try {
      await new Promise<void>((resolve, reject) => {
        cursor.onerror = () => reject(cursor.error)
        cursor.onsuccess = () => {
          const at = cursor.result
          if (at === null) return resolve()
          out.push([text.decode(at.key as ArrayBuffer), asBytes(at.value)])
          if (out.length >= count) resolve()
          else at.continue()
        }
      })
    } catch (err) {
      throw translate(err, `cannot read ${this.where}`)
    }
    return out
  }

  async clear(): Promise<void> {
    const store = this.objectStore('readwrite', 'clear')
    try {
      await done(store.clear())
    } catch (err) {
      throw translate(err, `cannot clear ${this.where}`)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.db.close()
  }
}

/** Values come back as stored: Uint8Array, or ArrayBuffer from older writers. */
function asBytes(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer)
}
