// Runs the shared benchmark cases inside Chromium; the runner calls window.runBench and reads the figures.
import { browserPlatform } from '../platform/browser/index.ts'
import { libp2pNetwork } from '../platform/browser/network.ts'
import { joinRelayInWorker } from '../platform/browser/worker-node/worker-node.ts'
import type { GenesisJson } from '../src/genesis.ts'
import { createNode } from '../src/node.ts'
import { importRate, nodeImportRate, verifyRate, vrfRates } from './cases.ts'
import { headerRate } from './header-cases.ts'
import { scaleFigures } from './scale-cases.ts'

declare global {
  interface Window {
    runBench(quick: boolean): Promise<unknown[]>
    syncBench(genesis: GenesisJson, ws: string, count: number): Promise<number>
    mainThreadSync(
      genesis: GenesisJson,
      ws: string,
      count: number,
      inWorker: boolean,
    ): Promise<MainThreadFigures>
    scaleBench(accounts: number, blocks: number): Promise<unknown[]>
    checkpointJoin(
      genesis: GenesisJson,
      ws: string,
      checkpoint: string,
      tip: number,
    ): Promise<{ snapshotIn: number; chunksIn: number; toTip: number; stored: number }>
  }
}

/** How the page's main thread fared while a tab synced: its long tasks (over 50 ms), from Chromium's Long Tasks API. */
export interface MainThreadFigures {
  seconds: number
  longTasks: number
  longestMs: number
  /** Total blocking time: the part of each long task past 50 ms, summed. */
  blockingMs: number
}

/**
 * Syncs `count` blocks into a fresh tab node — in a dedicated worker as the demo runs it, or on the
 * page as syncBench does — while recording every long task of the page's main thread.
 */
window.mainThreadSync = async (genesis, ws, count, inWorker) => {
  const durations: number[] = []
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) durations.push(entry.duration)
  })
  observer.observe({ type: 'longtask', buffered: false })
  const seconds = inWorker ? await workerSync(genesis, ws, count) : await window.syncBench(genesis, ws, count)
  observer.disconnect()
  return {
    seconds,
    longTasks: durations.length,
    longestMs: Math.max(0, ...durations),
    blockingMs: durations.reduce((sum, d) => sum + Math.max(0, d - 50), 0),
  }
}

/** Seconds for a fresh tab node (IndexedDB) to sync `count` blocks from a Node peer over WebSocket. */
window.syncBench = async (genesis, ws, count) => {
  const platform = await browserPlatform({ prefix: `pp-bench-sync-${Date.now()}-` })
  const node = createNode(
    { genesis, network: { enableP2P: true, bootstrapPeers: [ws], allowPrivateAddresses: true } },
    platform,
    { network: libp2pNetwork() },
  )
  const start = performance.now()
  await node.start()
  while (node.getState().tip.index < count) await new Promise((r) => setTimeout(r, 20))
  const seconds = (performance.now() - start) / 1000
  await node.stop()
  return seconds
}

/**
 * Seconds for a tab node in a dedicated worker to sync `count` blocks from a Node peer over
 * WebSocket, the page receiving every block with its transactions.
 */
async function workerSync(genesis: GenesisJson, ws: string, count: number): Promise<number> {
  const node = await joinRelayInWorker({
    relays: [ws],
    genesis,
    prefix: `pp-bench-worker-${Date.now()}-`,
    allowPrivateAddresses: true,
    clockOffsetMs: 0,
    workerUrl: '/pp-node-worker.min.js',
  })
  // The page hears every block, with its transactions, as the demo does.
  let heard = 0
  node.addEventListener('block:added', ({ detail }) => {
    heard = Math.max(heard, detail.block.header.index)
  })
  const start = performance.now()
  await node.start()
  while (heard < count) await new Promise((r) => setTimeout(r, 20))
  const seconds = (performance.now() - start) / 1000
  await node.stop()
  return seconds
}

/** Chromium's JS heap in use (a non-standard API; undefined elsewhere). */
const heapUsed = (): number | undefined =>
  (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize

/**
 * A fresh tab node (IndexedDB) joins a chain from `checkpoint` over WebSocket: seconds to the
 * snapshot and to the tip, and the origin's storage grown meanwhile (navigator.storage.estimate).
 */
window.checkpointJoin = async (genesis, ws, checkpoint, tip) => {
  const before = (await navigator.storage.estimate()).usage ?? 0
  const platform = await browserPlatform({ prefix: `pp-bench-join-${Date.now()}-` })
  const node = createNode(
    { genesis, checkpoint, network: { enableP2P: true, bootstrapPeers: [ws], allowPrivateAddresses: true } },
    platform,
    { network: libp2pNetwork() },
  )
  let chunksIn = 0
  node.addEventListener('snapshot:progress', ({ detail }) => {
    if (detail.done === detail.total) chunksIn = (performance.now() - began) / 1000
  })
  const began = performance.now()
  await node.start()
  const snapshotIn = (performance.now() - began) / 1000
  while (node.getState().tip.index < tip) await new Promise((r) => setTimeout(r, 20))
  const toTip = (performance.now() - began) / 1000
  await node.stop()
  const stored = ((await navigator.storage.estimate()).usage ?? 0) - before
  return { snapshotIn, chunksIn, toTip, stored }
}

window.scaleBench = async (accounts, blocks) => {
  const platform = await browserPlatform({ prefix: `pp-bench-scale-${Date.now()}-` })
  return scaleFigures(platform, accounts, blocks, heapUsed)
}

window.runBench = async (quick: boolean) => {
  const platform = await browserPlatform({ prefix: `pp-bench-${Date.now()}-` })
  return [
    await verifyRate(platform, quick ? 500 : 4000),
    ...(await importRate(platform, quick ? 5 : 30, 100)),
    ...(await nodeImportRate(platform, quick ? 10 : 300, 100)),
    ...(await vrfRates(platform, quick ? 30 : 200)),
    ...(await headerRate(platform, quick ? 10 : 40)),
  ]
}
