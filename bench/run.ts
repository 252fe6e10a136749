// `npm run bench [-- --quick]`: measures in Node and in Chromium, prints a table, writes bench/results/latest.json.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as esbuild from 'esbuild'
import puppeteer from 'puppeteer-core'
import { nodePlatform } from '../platform/node/index.ts'
import { browserOptions } from '../scripts/esbuild-browser.ts'
import { type Figure, importRate, verifyRate, vrfRates } from './cases.ts'

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, 'no-browser': { type: 'boolean' } } })
const quick = values.quick === true
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

async function nodeFigures(): Promise<Figure[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pp-bench-'))
  const platform = nodePlatform({ dataDir })
  try {
    const figures = [await verifyRate(platform, quick ? 1000 : 8000)]
    for (const txs of quick ? [1, 100] : [1, 100, 1000])
      figures.push(...(await importRate(platform, quick ? 10 : txs === 1000 ? 10 : 100, txs)))
    figures.push(...(await vrfRates(platform, quick ? 50 : 500)))
    return figures
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

async function browserFigures(): Promise<{ figures: Figure[]; version: string }> {
  const bundle = await esbuild.build({
    ...browserOptions,
    entryPoints: ['bench/browser-entry.ts'],
    write: false,
    minify: true,
  })
  const js = bundle.outputFiles![0].text
  const server = createServer((req, res) => {
    if (req.url === '/bench.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    else
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><script type="module" src="/bench.js"></script>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const userDataDir = await mkdtemp(join(tmpdir(), 'pp-bench-chromium-'))
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    userDataDir,
    args: CHROMIUM_ARGS,
  })
  try {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.waitForFunction(() => typeof window.runBench === 'function')
    const figures = (await page.evaluate((q) => window.runBench(q), quick)) as Figure[]
    return { figures, version: await browser.version() }
  } finally {
    await browser.close()
    server.close()
    await rm(userDataDir, { recursive: true, force: true })
  }
}

function format(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3)
}

const started = performance.now()
const node = await nodeFigures()
const browser = values['no-browser'] ? { figures: [], version: 'skipped' } : await browserFigures()
const figures = [...node, ...browser.figures]
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  chromium: browser.version,
}
const nameWidth = Math.max(...figures.map((f) => f.name.length))
console.log(
  `\npp-node benchmarks${quick ? ' (quick)' : ''} — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.chromium}\n`,
)
console.log(`${'figure'.padEnd(nameWidth)}  ${'value'.padStart(12)}  unit`)
for (const f of figures)
  console.log(`${f.name.padEnd(nameWidth)}  ${format(f.value).padStart(12)}  ${f.unit}`)
const out = {
  date: new Date().toISOString(),
  quick,
  machine,
  figures,
  seconds: (performance.now() - started) / 1000,
}
await mkdir('bench/results', { recursive: true })
await writeFile('bench/results/latest.json', `${JSON.stringify(out, null, 2)}\n`)
console.log(`\nwrote bench/results/latest.json in ${out.seconds.toFixed(1)} s`)
