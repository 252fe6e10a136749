// Runs the shared benchmark cases inside Chromium; the runner calls window.runBench and reads the figures.
import { browserPlatform } from '../platform/browser/index.ts'
import { libp2pNetwork } from '../platform/browser/network.ts'
import type { GenesisJson } from '../src/genesis.ts'
import { createNode } from '../src/node.ts'
import { importRate, verifyRate, vrfRates } from './cases.ts'
import { scaleFigures } from './scale-cases.ts'

declare global {
  interface Window {
    runBench(quick: boolean): Promise<unknown[]>
    syncBench(genesis: GenesisJson, ws: string, count: number): Promise<number>
    scaleBench(accounts: number, blocks: number): Promise<unknown[]>
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

/** Chromium's JS heap in use (a non-standard API; undefined elsewhere). */
const heapUsed = (): number | undefined =>
  (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize

window.scaleBench = async (accounts, blocks) => {
  const platform = await browserPlatform({ prefix: `pp-bench-scale-${Date.now()}-` })
  return scaleFigures(platform, accounts, blocks, heapUsed)
}

window.runBench = async (quick: boolean) => {
  const platform = await browserPlatform({ prefix: `pp-bench-${Date.now()}-` })
  return [
    await verifyRate(platform, quick ? 500 : 4000),
    ...(await importRate(platform, quick ? 5 : 30, 100)),
    ...(await vrfRates(platform, quick ? 30 : 200)),
  ]
}
