// `npm run bench [-- --quick]`: measures in Node and in Chromium, prints a table, writes bench/results/latest.json.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import * as esbuild from 'esbuild'
import puppeteer, { type Browser } from 'puppeteer-core'
import { nodePlatform } from '../platform/node/index.ts'
import { CHROMIUM_ARGS, CHROMIUM_PATH, FIREFOX_PATH, FIREFOX_PREFS } from '../scripts/browsers.ts'
import { browserOptions } from '../scripts/esbuild-browser.ts'
import { genesisToJson } from '../src/genesis.ts'
import { bundleFigures } from './bundle-cases.ts'
import { type Figure, importRate, nodeImportRate, verifyRate, vrfRates } from './cases.ts'
import { headerRate } from './header-cases.ts'
import { admission, footprint, propagation, redial, syncRate } from './network-cases.ts'
import { nodeOldChainJoin, type OldChainSource, oldChainFigures, serveOldChain } from './old-chain.ts'
import { rejectionCosts } from './rejection-cases.ts'
import { snapshotJoin } from './snapshot-cases.ts'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    'no-browser': { type: 'boolean' },
    'scale-only': { type: 'boolean' },
    'join-only': { type: 'boolean' },
    'old-chain': { type: 'string' },
  },
})
const quick = values.quick === true
const joinOnly = values['join-only'] === true
/** The old chain a new node joins from a checkpoint: blocks and funded accounts (the 1,000,000 and 100,000). */
const OLD_CHAIN = values['old-chain']
  ? oldChainSize(values['old-chain'])
  : quick
    ? { blocks: 3_000, accounts: 5_000 }
    : { blocks: 1_000_000, accounts: 100_000 }

/** `--old-chain <blocks>:<accounts>`, e.g. 2000:100000. */
function oldChainSize(text: string): { blocks: number; accounts: number } {
  const [blocks, accounts] = text.split(':').map(Number)
  if (!(Number.isInteger(blocks) && blocks >= 300 && Number.isInteger(accounts) && accounts >= 2)) {
    console.error(`--old-chain ${text}: expected <blocks ≥ 300>:<accounts ≥ 2>`)
    process.exit(2)
  }
  return { blocks, accounts }
}
/** Ledger sizes for the scale figures, and blocks of 100 transfers imported at each. */
const SCALE_SIZES = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]
const SCALE_BROWSER_SIZES = quick ? [10_000] : [10_000, 100_000]
const SCALE_BLOCKS = quick ? 20 : 30

/** The scale figures in Node, each size in a process of its own so its memory figure is its own. */
async function nodeScaleFigures(): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const accounts of SCALE_SIZES) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['bench/scale-child.ts', String(accounts), String(SCALE_BLOCKS)],
      { maxBuffer: 1 << 20 },
    )
    figures.push(...(JSON.parse(stdout) as Figure[]))
  }
  return figures
}

async function nodeFigures(): Promise<Figure[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pp-bench-'))
  const platform = nodePlatform({ dataDir })
  try {
    const figures = [await verifyRate(platform, quick ? 1000 : 8000)]
    for (const txs of quick ? [1, 100] : [1, 100, 1000])
      figures.push(...(await importRate(platform, quick ? 10 : txs === 1000 ? 10 : 100, txs)))
    figures.push(...(await nodeImportRate(platform, quick ? 20 : 300, 100)))
    figures.push(...(await vrfRates(platform, quick ? 50 : 500)))
    figures.push(...(await headerRate(platform, quick ? 10 : 40)))
    figures.push(...(await rejectionCosts(platform, quick ? 100 : 500)))
    figures.push(...(await snapshotJoin(quick ? 10_000 : 100_000, quick ? 300 : 1000)))
    return figures
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

/** A Node peer serving a chain for the Chromium sync figure. */
type SyncSource = Awaited<ReturnType<Awaited<ReturnType<typeof syncRate>>['serve']>>

/** The browser figures in Chromium or Firefox; Firefox's are named so (Chromium's keep "browser"). */
async function browserFigures(
  kind: 'chromium' | 'firefox',
  source?: SyncSource,
  fullSource?: SyncSource,
  oldChain?: OldChainSource,
): Promise<{ figures: Figure[]; version: string }> {
  const bundle = await esbuild.build({
    ...browserOptions,
    entryPoints: ['bench/browser-entry.ts'],
    write: false,
    minify: true,
  })
  const js = bundle.outputFiles![0].text
  const worker = await esbuild.build({
    ...browserOptions,
    entryPoints: ['platform/browser/worker-node/node-worker.ts'],
    format: 'iife',
    write: false,
    minify: true,
  })
  const workerJs = worker.outputFiles![0].text
  const server = createServer((req, res) => {
    if (req.url === '/bench.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    else if (req.url === '/pp-node-worker.min.js')
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(workerJs)
    else
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><script type="module" src="/bench.js"></script>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const userDataDir = await mkdtemp(join(tmpdir(), `pp-bench-${kind}-`))
  const browser =
    kind === 'firefox'
      ? await puppeteer.launch({
          browser: 'firefox',
          executablePath: FIREFOX_PATH,
          headless: true,
          extraPrefsFirefox: FIREFOX_PREFS,
        })
      : await puppeteer.launch({
          executablePath: CHROMIUM_PATH,
          headless: true,
          userDataDir,
          args: CHROMIUM_ARGS,
        })
  const named = (figures: Figure[]): Figure[] =>
    kind === 'firefox'
      ? figures.map((f) => ({
          ...f,
          name: f.name.replace('browser', 'firefox').replace('Chromium', 'Firefox'),
        }))
      : figures
  try {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.waitForFunction(() => typeof window.runBench === 'function')
    const figures: Figure[] = []
    if (oldChain !== undefined) {
      // A new tab of its own browser context, as a user opens the page: nothing stored before.
      const context = await browser.createBrowserContext()
      const tab = await context.newPage()
      await tab.goto(page.url())
      await tab.waitForFunction(() => typeof window.checkpointJoin === 'function')
      const m = await tab.evaluate(
        ([genesis, ws, checkpoint, tip]) =>
          window.checkpointJoin(genesis as never, ws as string, checkpoint as string, tip as number),
        [genesisToJson(oldChain.genesis), oldChain.ws, oldChain.checkpoint, oldChain.tip] as const,
      )
      await context.close()
      const link = `${kind === 'firefox' ? 'Firefox' : 'Chromium'} (IndexedDB) ← Node (WebSocket)`
      // Only the join: the other browser figures come from the call without an old chain.
      return { figures: oldChainFigures(oldChain, link, m), version: await browser.version() }
    }
    if (!values['scale-only'])
      figures.push(...((await page.evaluate((q) => window.runBench(q), quick)) as Figure[]))
    for (const accounts of SCALE_BROWSER_SIZES)
      figures.push(
        ...((await page.evaluate(([n, b]) => window.scaleBench(n, b), [accounts, SCALE_BLOCKS])) as Figure[]),
      )
    if (source === undefined) return { figures: named(figures), version: await browser.version() }
    const syncSeconds = await page.evaluate(
      ([genesis, ws, count]) => window.syncBench(genesis as never, ws as string, count as number),
      [genesisToJson(source.genesis), source.ws, source.count] as const,
    )
    figures.push({
      name: `sync ${source.count} blocks, Chromium (IndexedDB) ← Node (WebSocket)`,
      value: source.count / syncSeconds,
      unit: 'blocks/s',
    })
    // The Long Tasks API is Chromium's: Firefox has no figure for the page's main thread.
    if (fullSource !== undefined && kind === 'chromium')
      figures.push(...(await mainThreadFigures(browser, page.url(), fullSource)))
    return { figures: named(figures), version: await browser.version() }
  } finally {
    await browser.close()
    server.close()
    await rm(userDataDir, { recursive: true, force: true })
  }
}

/**
 * The page's main thread while a tab syncs blocks of 100 transfers: longest task and total blocking
 * time with the node in a worker (as the demo and the embed run it) and, for comparison, on the page.
 * Each in a new tab of its own browser context (its own renderer), as a user opens the demo: not in
 * the page that ran the other cases, whose heap they leave behind.
 */
async function mainThreadFigures(browser: Browser, url: string, source: SyncSource): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const inWorker of [true, false]) {
    const context = await browser.createBrowserContext()
    const page = await context.newPage()
    await page.goto(url)
    await page.waitForFunction(() => typeof window.mainThreadSync === 'function')
    const m = await page.evaluate(
      ([genesis, ws, count, w]) =>
        window.mainThreadSync(genesis as never, ws as string, count as number, w as boolean),
      [genesisToJson(source.genesis), source.ws, source.count, inWorker] as const,
    )
    await context.close()
    const name = `tab main thread while syncing ${source.count} blocks × 100 transfers, node ${inWorker ? 'in a worker' : 'on the page'} (Chromium)`
    figures.push(
      {
        name: `${name}: longest task`,
        value: m.longestMs,
        unit: 'ms',
        ...(inWorker && { anchor: { value: 50, what: 'goal ≤ 50 ms' } }),
      },
      { name: `${name}: total blocking time`, value: m.blockingMs, unit: 'ms' },
      { name: `${name}: tasks over 50 ms`, value: m.longTasks, unit: 'tasks' },
      { name: `${name}: sync`, value: (source.count * 100) / m.seconds, unit: 'tx/s' },
    )
  }
  return figures
}

/** Adds the ratios the issue asks for: import tx/s against raw verify/s, and sync against import. */
function addRatios(figures: Figure[]): void {
  const find = (pattern: RegExp, unit: string) =>
    figures.find((f) => pattern.test(f.name) && f.unit === unit)?.value
  for (const env of ['node', 'browser', 'firefox']) {
    const verify = find(new RegExp(`verify \\(${env}`), 'verify/s')
    const imported = find(new RegExp(`intake \\(sync path\\), 100 transfers/block \\(${env}`), 'tx/s')
    if (verify && imported) {
      const target = env === 'node' ? 0.8 : 0.6
      figures.push({
        name: `node intake tx/s ÷ raw verify/s (${env}), 100 transfers/block`,
        value: imported / verify,
        unit: 'ratio',
        anchor: { value: target, what: `target ≥ ${target}` },
      })
    }
  }
  const syncTx = find(/^sync .* × 100 transfers, Node/, 'tx/s')
  const importTx = find(/import, 100 transfers\/block \(node/, 'tx/s')
  if (syncTx && importTx)
    figures.push({
      name: 'sync tx/s ÷ import tx/s (Node, 100 transfers/block)',
      value: syncTx / importTx,
      unit: 'ratio',
      anchor: { value: 0.7, what: 'target ≥ 0.7' },
    })
  const emptySyncRate = find(/^sync .* × 0 transfers, Node/, 'blocks/s')
  if (emptySyncRate)
    figures.find((f) => f.value === emptySyncRate)!.anchor = { value: 2000, what: 'target ≥ 2,000 blocks/s' }
}

/** The scale goals: import at the largest size within 20 % of 10k accounts; reopen under 5 s in Node. */
function addScaleTargets(figures: Figure[]): void {
  for (const env of ['node', 'browser']) {
    const rates = figures.filter(
      (f) => f.name.startsWith('import, 100 transfers/block') && f.name.endsWith(env),
    )
    const small = rates.find((f) => f.name.includes(' 10k accounts'))
    for (const f of rates)
      if (f !== small && small)
        f.anchor = { value: small.value * 0.8, what: '≥ 0.8 × the rate at 10k accounts' }
  }
  for (const f of figures)
    if (f.name.startsWith('reopen the chain store') && f.name.endsWith('node'))
      f.anchor = { value: 5000, what: 'goal < 5,000 ms' }
}

function format(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3)
}

/**
 * Errors no caller could catch — libp2p 3.3's dial queue throws a WebSocket dial's failed Noise
 * handshake (the relay refusing a burst of connections) outside any promise — are counted and
 * shown, not fatal: one stray failure among thousands of connections ends no run.
 */
const stray: string[] = []
const record = (what: string) => (reason: unknown) => {
  stray.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason))
  console.warn(`bench: ${what}: ${reason instanceof Error ? reason.stack : reason}`)
}
process.on('unhandledRejection', record('a rejection nobody handled'))
process.on('uncaughtException', record('an exception nobody caught'))

/**
 * A case's figures, or none when it fails or has not finished in `ms` (then it is told to give up):
 * either way the run goes on and says why (a libp2p dial that fails inside its queue can leave a
 * case waiting for ever).
 */
async function bounded(what: string, ms: number, run: (signal: AbortSignal) => Promise<Figure[]>) {
  const abort = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const given = new Promise<Figure[]>((resolve) => {
    timer = setTimeout(() => {
      stray.push(`${what}: no figures, not done in ${ms / 1000} s`)
      console.error(`bench: ${what}: given up after ${ms / 1000} s`)
      // Resolved first: whatever telling the case to give up throws, the run goes on.
      resolve([])
      abort.abort(new Error(`${what} took too long`))
    }, ms)
  })
  try {
    return await Promise.race([run(abort.signal), given])
  } catch (err) {
    stray.push(`${what}: no figures, failed: ${err instanceof Error ? err.message : String(err)}`)
    console.error(`bench: ${what}: failed: ${err instanceof Error ? err.stack : err}`)
    return []
  } finally {
    clearTimeout(timer)
  }
}

/** Says on stderr which case runs now: a whole run takes a quarter of an hour. */
const step = (what: string) =>
  console.error(`bench: ${what}… (${((performance.now() - started) / 1000).toFixed(0)} s)`)

const started = performance.now()
const scaleOnly = values['scale-only'] === true
/** A new Node node, Chromium tab and Firefox tab join an old chain from its checkpoint. */
async function oldChainJoins(): Promise<Figure[]> {
  step(`old chain: ${OLD_CHAIN.blocks} blocks, ${OLD_CHAIN.accounts} accounts`)
  const source = await serveOldChain(OLD_CHAIN.blocks, OLD_CHAIN.accounts)
  try {
    step('old chain: Node joins')
    const figures = await nodeOldChainJoin(source)
    if (!values['no-browser']) {
      step('old chain: Chromium joins')
      figures.push(...(await browserFigures('chromium', undefined, undefined, source)).figures)
      step('old chain: Firefox joins')
      figures.push(...(await browserFigures('firefox', undefined, undefined, source)).figures)
    }
    return figures
  } finally {
    await source.stop()
  }
}

/** Prints the table of `figures` and writes them, with the machine, as JSON to `file`. */
async function report(
  figures: Figure[],
  machine: Record<string, string | number>,
  file: string,
): Promise<void> {
  const nameWidth = Math.max(...figures.map((f) => f.name.length))
  console.log(
    `\npp-node benchmarks${quick ? ' (quick)' : ''} — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.chromium}, ${machine.firefox}\n`,
  )
  console.log(
    `${'figure'.padEnd(nameWidth)}  ${'value'.padStart(12)}  ${'unit'.padEnd(10)}  limit or target (value ÷ it)`,
  )
  for (const f of figures) {
    const anchor = f.anchor ? `${f.anchor.what} (${format(f.value / f.anchor.value)}×)` : ''
    console.log(
      `${f.name.padEnd(nameWidth)}  ${format(f.value).padStart(12)}  ${f.unit.padEnd(10)}  ${anchor}`,
    )
  }
  const out = {
    date: new Date().toISOString(),
    quick,
    machine,
    figures,
    strayRejections: stray,
    seconds: (performance.now() - started) / 1000,
  }
  await mkdir('bench/results', { recursive: true })
  await writeFile(file, `${JSON.stringify(out, null, 2)}\n`)
  if (stray.length > 0)
    console.log(`\n${stray.length} error(s) nobody could handle during the run: ${stray.join('; ')}`)
  console.log(`\nwrote ${file} in ${out.seconds.toFixed(1)} s`)
}

if (joinOnly) {
  const figures = await oldChainJoins()
  await report(
    figures,
    { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    'bench/results/join.json',
  )
  process.exit(0)
}
step('bundle sizes')
const bundles = await bundleFigures()
step('Node: verify, import, intake, VRF, rejection costs')
const node = scaleOnly ? [] : await nodeFigures()
step('Node: ledger at scale')
const scale = await nodeScaleFigures()
const skipped = { figures: [] as Figure[], version: 'skipped' }
let browser = skipped
let firefox = skipped
const network: Figure[] = []
if (scaleOnly) {
  if (!values['no-browser']) browser = await browserFigures('chromium')
} else {
  step('sync between Node peers')
  const emptySync = await syncRate(quick ? 500 : 10_000, 0)
  const fullSync = await syncRate(quick ? 50 : 10_000, 100)
  const fullSource = await fullSync.serve()
  const source = await emptySync.serve()
  if (!values['no-browser']) {
    step('Chromium')
    browser = await browserFigures('chromium', source, fullSource)
    step('Firefox')
    firefox = await browserFigures('firefox', source)
  }
  await source.stop()
  await fullSource.stop()
  network.push(...emptySync.figures, ...fullSync.figures)
  step('propagation')
  network.push(
    ...(await bounded('propagation', 300_000, () => propagation(quick ? 5 : 20, quick ? 20 : 200))),
  )
  step('mempool admission')
  network.push(...(await bounded('mempool admission', 120_000, () => admission(quick ? 500 : 5000))))
  step('relay footprint')
  network.push(...(await bounded('relay footprint', 120_000, (signal) => footprint(quick ? 10 : 50, signal))))
  step('link re-dial')
  network.push(...(await bounded('link re-dial', 120_000, () => redial(quick ? 3 : 10))))
  network.push(...(await oldChainJoins()))
}
step('done')
const figures = [...node, ...scale, ...network, ...browser.figures, ...firefox.figures, ...bundles]
addScaleTargets(figures)
addRatios(figures)
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  chromium: browser.version,
  firefox: firefox.version,
}
await report(figures, machine, 'bench/results/latest.json')
// A case given up on may leave libp2p hosts behind: nothing is left to wait for.
process.exit(0)
