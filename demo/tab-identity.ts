// Each tab is its own node with its own IndexedDB store. The tab's id lives in sessionStorage (kept
// across reloads of that tab) and is held with a Web Lock, so a duplicated tab, which copies
// sessionStorage, notices the id is taken and makes its own. When each tab was last seen is kept
// in one small IndexedDB database (idb-keyval), so stores of tabs gone for a day can be removed.
import { createStore, del, get, set } from 'idb-keyval'

const KEY = 'pp-tab-id'
const ABANDONED_MS = 24 * 3600_000
const lastSeen = createStore('pp-tabs', 'last-seen')

function holdLock(name: string, waitMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    navigator.locks
      .request(name, { signal: AbortSignal.timeout(waitMs) }, () => {
        resolve(true)
        return new Promise<void>(() => {}) // held for the page's lifetime
      })
      .catch(() => resolve(false))
  })
}

/** This tab's node id, claimed for as long as the page lives. */
export async function claimTabId(): Promise<string> {
  let id = sessionStorage.getItem(KEY)
  // After a reload the previous page may still be releasing its lock: wait a moment for it.
  if (id === null || !(await holdLock(`pp-tab-${id}`, 3000))) {
    do id = crypto.randomUUID().slice(0, 8)
    while (!(await holdLock(`pp-tab-${id}`, 100)))
    sessionStorage.setItem(KEY, id)
  }
  const seen = () => set(id, Date.now(), lastSeen)
  await seen()
  setInterval(seen, 60_000)
  return id
}

/** Deletes the IndexedDB stores of tabs that are gone: no lock held and not seen for a day. */
export async function removeAbandonedStores(current: string): Promise<number> {
  const held = new Set(((await navigator.locks.query()).held ?? []).map((l) => l.name))
  let removed = 0
  for (const db of await indexedDB.databases()) {
    const id = /^pp-tab-([0-9a-f]{8})-/.exec(db.name ?? '')?.[1]
    if (id === undefined || id === current || held.has(`pp-tab-${id}`)) continue
    if (Date.now() - ((await get<number>(id, lastSeen)) ?? 0) < ABANDONED_MS) continue
    indexedDB.deleteDatabase(db.name!)
    await del(id, lastSeen)
    removed++
  }
  return removed
}
