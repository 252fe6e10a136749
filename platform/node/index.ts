/**
 * The Node.js platform: LevelDB storage in a data directory, node:crypto, the system clock.
 *
 * @example
 * const platform = nodePlatform({ dataDir: './.data' })
 */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { systemClock } from '../../src/clock/system-clock.ts'
import type { Platform, PlatformOptions, RecordStore, Store } from '../../src/ports.ts'
import { openLevelStore } from '../level-store.ts'
import { nodeCrypto } from './crypto.ts'

/** Where and how the Node platform keeps its data. */
export interface NodePlatformOptions {
  /** Directory holding one LevelDB directory per store. */
  dataDir: string
}

/** The store holding small records; older versions kept only the peer key there, hence its name. */
const RECORDS_STORE = 'identity'

/** Builds the Node.js platform. */
export function nodePlatform(options: NodePlatformOptions): Platform {
  const dataDir = resolve(options.dataDir)
  const openStore = async (name: string): Promise<Store> => {
    await mkdir(dataDir, { recursive: true })
    const location = join(dataDir, name)
    const db = new ClassicLevel<string, Uint8Array>(location, { valueEncoding: 'view' })
    return openLevelStore(db, location)
  }
  return { name: 'node', crypto: nodeCrypto, clock: systemClock, openStore, records: storeRecords(openStore) }
}

/** The platform of the environment this code runs in (`createPlatform` has the same shape in browsers). */
export async function createPlatform(options: PlatformOptions = {}): Promise<Platform> {
  return nodePlatform({ dataDir: options.dataDir ?? '.pp-node' })
}

/** Records in a small LevelDB store, opened for each read or write (they are rare). */
function storeRecords(openStore: (name: string) => Promise<Store>): RecordStore {
  const withStore = async <T>(use: (store: Store) => Promise<T>): Promise<T> => {
    const store = await openStore(RECORDS_STORE)
    try {
      return await use(store)
    } finally {
      await store.close()
    }
  }
  return {
    get: (key) => withStore((store) => store.get(key)),
    set: (key, value) => withStore((store) => store.batch([{ type: 'put', key, value }])),
  }
}
