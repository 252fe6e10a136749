/**
 * The browser platform: IndexedDB storage, WebCrypto, WebSocket + WebRTC + circuit relay.
 *
 * @example
 * const platform = await browserPlatform({ prefix: 'pp-' })
 */
import { BrowserLevel } from 'browser-level'
import { systemClock } from '../../src/clock/system-clock.ts'
import type { Platform } from '../../src/ports.ts'
import { openLevelStore } from '../level-store.ts'
import { browserCrypto } from './crypto.ts'
import { browserNetwork } from './network.ts'

/** How the browser platform names its IndexedDB databases. */
export interface BrowserPlatformOptions {
  /** Prepended to every store name to form the IndexedDB database name. */
  prefix?: string
}

/** Builds the browser platform (async: it probes WebCrypto for Ed25519 support). */
export async function browserPlatform(options: BrowserPlatformOptions = {}): Promise<Platform> {
  const prefix = options.prefix ?? 'pp-node-'
  return {
    name: 'browser',
    crypto: await browserCrypto(),
    clock: systemClock,
    network: browserNetwork,
    async openStore(name) {
      const db = new BrowserLevel<string, Uint8Array>(name, { prefix, valueEncoding: 'view' })
      return openLevelStore(db, `IndexedDB ${prefix}${name}`)
    },
  }
}
