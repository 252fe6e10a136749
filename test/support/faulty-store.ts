import { translate } from '../../platform/level-store.ts'
import type { Platform, Store } from '../../src/ports.ts'

/** A switch that makes every write of the wrapped stores fail the way a full disk or quota does. */
export interface WriteFault {
  failing: boolean
}

/** The platform with each store's writes failing while `fault.failing`, like a full disk or exhausted IndexedDB quota. */
export function withWriteFault(platform: Platform, fault: WriteFault, cause: () => Error): Platform {
  const wrap = (store: Store): Store => ({
    get: (key) => store.get(key),
    entries: (range) => store.entries(range),
    close: () => store.close(),
    clear: () => (fault.failing ? Promise.reject(translate(cause(), 'cannot clear')) : store.clear()),
    batch: (ops) => (fault.failing ? Promise.reject(translate(cause(), 'cannot write')) : store.batch(ops)),
  })
  return { ...platform, openStore: async (name) => wrap(await platform.openStore(name)) }
}
