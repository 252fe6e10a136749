// Runs the shared benchmark cases inside Chromium; the runner calls window.runBench and reads the figures.
import { browserPlatform } from '../platform/browser/index.ts'
import { importRate, verifyRate, vrfRates } from './cases.ts'

declare global {
  interface Window {
    runBench(quick: boolean): Promise<unknown[]>
  }
}

window.runBench = async (quick: boolean) => {
  const platform = await browserPlatform({ prefix: `pp-bench-${Date.now()}-` })
  return [
    await verifyRate(platform, quick ? 500 : 4000),
    ...(await importRate(platform, quick ? 5 : 30, 100)),
    ...(await vrfRates(platform, quick ? 30 : 200)),
  ]
}
