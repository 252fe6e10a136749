import { browserCrypto } from '../../platform/browser/crypto.ts'
import { browserPlatform } from '../../platform/browser/index.ts'
import type { CryptoPort } from '../../src/ports.ts'
import type { TestPlatform } from './test-platform.ts'

export type { TestPlatform } from './test-platform.ts'

/** Which environment the tests are running in. */
export const environment: 'node' | 'browser' = 'browser'

/** A browser platform whose IndexedDB databases carry a fresh prefix; `dispose()` deletes them. */
export async function testPlatform(): Promise<TestPlatform> {
  const prefix = `pp-test-${crypto.randomUUID()}-`
  return {
    platform: await browserPlatform({ prefix }),
    async dispose() {
      for (const db of await indexedDB.databases()) {
        if (db.name?.startsWith(prefix)) indexedDB.deleteDatabase(db.name)
      }
    },
  }
}

/** The platform's crypto alone, for tests that need no storage. */
export function testCrypto(): Promise<CryptoPort> {
  return browserCrypto()
}
