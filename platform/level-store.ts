import type { AbstractLevel } from 'abstract-level'
import { StoreFullError, StoreUnavailableError } from '../src/errors.ts'
import type { BatchOp, KeyRange, Store } from '../src/ports.ts'

/** Any abstract-level database with string keys and byte values, whatever its storage format. */
// biome-ignore lint/suspicious/noExplicitAny: the storage format differs per backend and is never used here
type LevelDb = AbstractLevel<any, string, Uint8Array>

/** Adapts any abstract-level database (classic-level, browser-level) to the core's `Store`. */
export async function openLevelStore(db: LevelDb, where: string): Promise<Store> {
  try {
    await db.open()
  } catch (err) {
    throw translate(err, `cannot open store ${where}`)
  }
  return new LevelStore(db, where)
}

class LevelStore implements Store {
  private readonly db: LevelDb
  private readonly where: string

  constructor(db: LevelDb, where: string) {
    this.db = db
    this.where = where
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return await this.db.get(key)
    } catch (err) {
      throw translate(err, `cannot read ${this.where}`)
    }
  }

  async batch(ops: BatchOp[]): Promise<void> {
    try {
      await this.db.batch(ops)
    } catch (err) {
      throw translate(err, `cannot write ${this.where}`)
    }
  }

  async *entries(range: KeyRange = {}): AsyncIterable<[string, Uint8Array]> {
    const { prefix, reverse = false, limit = -1 } = range
    const gte = prefix ?? range.gte
    const lt = prefix !== undefined ? `${prefix}\uffff` : range.lt
    const options = { reverse, limit, ...(gte !== undefined && { gte }), ...(lt !== undefined && { lt }) }
    try {
      for await (const entry of this.db.iterator(options)) yield entry
    } catch (err) {
      throw translate(err, `cannot read ${this.where}`)
    }
  }

  async clear(): Promise<void> {
    try {
      await this.db.clear()
    } catch (err) {
      throw translate(err, `cannot clear ${this.where}`)
    }
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}

/** Maps LevelDB / IndexedDB failures (ENOSPC, QuotaExceededError, …) onto the core's typed storage errors. */
export function translate(err: unknown, what: string): Error {
  const text = describe(err)
  if (/QuotaExceeded|No space left|ENOSPC|quota/i.test(text)) {
    return new StoreFullError(`${what}: storage is full (${text})`, { cause: err })
  }
  if (/LOCK|locked/i.test(text)) {
    return new StoreUnavailableError(
      `${what}: another process has it open (is another pp-node using this data dir?)`,
      { cause: err },
    )
  }
  return new StoreUnavailableError(`${what}: ${text}`, { cause: err })
}

function describe(err: unknown): string {
  const parts: string[] = []
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) {
    parts.push(`${e.name}: ${e.message}`)
  }
  return parts.join(' <- ') || String(err)
}
