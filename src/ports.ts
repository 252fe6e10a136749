/** One write of an atomic batch: put a value or delete a key. */
export type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string }

/** A key range for iteration; keys compare as UTF-8 bytes. `prefix` is shorthand for gte/lt around it. */
export interface KeyRange {
  prefix?: string
  gte?: string
  lt?: string
  reverse?: boolean
  limit?: number
}

/** An ordered key-value store (LevelDB in Node, IndexedDB in browsers) with atomic batches. */
export interface Store {
  /** Reads one value, or undefined when the key is absent. */
  get(key: string): Promise<Uint8Array | undefined>
  /** Writes all operations atomically: after a crash either all or none are present. */
  batch(ops: BatchOp[]): Promise<void>
  /** Iterates entries in key order (or reverse) within a range. */
  entries(range?: KeyRange): AsyncIterable<[string, Uint8Array]>
  /** Deletes every entry. */
  clear(): Promise<void>
  /** Closes the store; further calls fail with StoreUnavailableError. */
  close(): Promise<void>
}

/** Ed25519 signatures, backed by the fastest engine the platform has. */
export interface CryptoPort {
  /** The 32-byte public key of a 32-byte ed25519 secret seed. */
  publicKey(secret: Uint8Array): Promise<Uint8Array>
  /** A 64-byte ed25519 signature (RFC 8032, deterministic). */
  sign(secret: Uint8Array, message: Uint8Array): Promise<Uint8Array>
  /** Verifies one ed25519 signature; never throws for malformed input, returns false. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>
  /** Verifies many signatures at once, using every core the platform offers; one result per item. */
  verifyBatch(items: readonly SignedItem[]): Promise<boolean[]>
  /** SHA-256, as `hash` computes it, by the platform's native code where it has it (a block body is ~25 KB). */
  digest(data: Uint8Array): Promise<Uint8Array>
}

/** A message with its signer's public key and signature, for batch verification. */
export interface SignedItem {
  publicKey: Uint8Array
  message: Uint8Array
  signature: Uint8Array
}

/** Wall-clock time and waiting; tests replace it with a driven clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
  /** Resolves when `now() >= at`, or rejects with the signal's reason when aborted. */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>
}

/** A few small values kept across restarts (keys, identities): atomic, async, no ordering. */
export interface RecordStore {
  /** Reads a record, or undefined when it was never written. */
  get(key: string): Promise<Uint8Array | undefined>
  /** Writes a record atomically: after a crash the old or the new value is there, whole. */
  set(key: string, value: Uint8Array): Promise<void>
}

/** Everything environment-specific the core needs, handed to `createNode`. */
export interface Platform {
  readonly name: 'node' | 'browser'
  /** Opens (creating if needed) the named store: a directory in Node, an IndexedDB database in browsers. */
  openStore(name: string): Promise<Store>
  /** Small records (the peer identity): IndexedDB through idb-keyval in browsers, a store in Node. */
  readonly records: RecordStore
  readonly crypto: CryptoPort
  readonly clock: Clock
}

/** Where a platform keeps its data: `dataDir` in Node, an IndexedDB name `prefix` in browsers. */
export interface PlatformOptions {
  /** Node: the directory holding the stores (default `.pp-node` in the working directory). */
  dataDir?: string
  /** Browsers: prepended to every IndexedDB database name (default `pp-node-`). */
  prefix?: string
}
