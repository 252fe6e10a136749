/**
 * The browser platform: IndexedDB storage, WebCrypto, the system clock.
 *
 * @example
 * const platform = await browserPlatform({ prefix: 'pp-' })
 */
import { createStore, get, set } from 'idb-keyval'
import { systemClock } from '../../src/clock/system-clock.ts'
import type { Platform, PlatformOptions } from '../../src/ports.ts'
import { browserCrypto } from './crypto.ts'
import { openIdbStore } from './idb-store.ts'

/** How the browser platform names its IndexedDB databases. */
export interface BrowserPlatformOptions {
  /** Prepended to every store name to form the IndexedDB database name. */
  prefix?: string
}

/** Builds the browser platform (async: it probes WebCrypto for Ed25519 support). */
export async function browserPlatform(options: BrowserPlatformOptions = {}): Promise<Platform> {
  const prefix = options.prefix ?? 'pp-node-'
  // Small records live in one idb-keyval database: each write is one IndexedDB transaction.
  const records = createStore(`${prefix}records`, 'records')
  return {
    name: 'browser',
    crypto: await browserCrypto(),
    clock: systemClock,
    records: {
      get: (key) => get<Uint8Array>(key, records),
      set: (key, value) => set(key, value, records),
    },
    openStore: (name) => openIdbStore(`${prefix}${name}`, name),
  }
}

/** The platform of the environment this code runs in (`createPlatform` has the same shape in Node). */
export function createPlatform(options: PlatformOptions = {}): Promise<Platform> {
  return browserPlatform(options.prefix === undefined ? {} : { prefix: options.prefix })
}
