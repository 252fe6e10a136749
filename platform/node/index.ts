/**
 * The Node.js platform: LevelDB storage in a data directory, node:crypto, TCP + WebSocket.
 *
 * @example
 * const platform = nodePlatform({ dataDir: './.data' })
 */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { systemClock } from '../../src/clock/system-clock.ts'
import type { Platform } from '../../src/ports.ts'
import { openLevelStore } from '../level-store.ts'
import { nodeCrypto } from './crypto.ts'
import { nodeNetwork } from './network.ts'

/** Where and how the Node platform keeps its data. */
export interface NodePlatformOptions {
  /** Directory holding one LevelDB directory per store. */
  dataDir: string
}

/** Builds the Node.js platform. */
export function nodePlatform(options: NodePlatformOptions): Platform {
  const dataDir = resolve(options.dataDir)
  return {
    name: 'node',
    crypto: nodeCrypto,
    clock: systemClock,
    network: nodeNetwork,
    async openStore(name) {
      await mkdir(dataDir, { recursive: true })
      const location = join(dataDir, name)
      const db = new ClassicLevel<string, Uint8Array>(location, { valueEncoding: 'view' })
      return openLevelStore(db, location)
    },
  }
}
