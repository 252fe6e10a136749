import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodeCrypto } from '../../platform/node/crypto.ts'
import { nodePlatform } from '../../platform/node/index.ts'
import type { CryptoPort, Platform } from '../../src/ports.ts'

/** A platform for one test with its own empty storage; `dispose()` deletes the storage. */
export interface TestPlatform {
  platform: Platform
  dispose(): Promise<void>
}

/** Which environment the tests are running in (this file is swapped for its .browser twin in Chromium). */
export const environment: 'node' | 'browser' = 'node'

/** A Node platform over a fresh temporary data directory. */
export async function testPlatform(): Promise<TestPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pp-test-'))
  return {
    platform: nodePlatform({ dataDir }),
    dispose: () => rm(dataDir, { recursive: true, force: true }),
  }
}

/** The platform's crypto alone, for tests that need no storage. */
export async function testCrypto(): Promise<CryptoPort> {
  return nodeCrypto
}
