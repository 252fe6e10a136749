// `npm run devnet`: a small network on one machine — a relay and 3 producer nodes, each its own
// process and data dir, on a fresh Praos devnet. Prints the demo URL and a status line every few
// slots; Ctrl-C stops everything. `--duration <s>` stops by itself and exits 1 unless all tips agree.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { nodeCrypto } from '../platform/node/crypto.ts'
import { makeDevnet } from '../src/devnet.ts'
import { toHex } from '../src/encoding/hash.ts'
import { genesisToJson } from '../src/genesis.ts'

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '.pp-devnet' },
    'http-port': { type: 'string', default: '8080' },
    'slot-ms': { type: 'string', default: '1000' },
    duration: { type: 'string' },
  },
})
const root = resolve(values.dir)
const slotMs = Number(values['slot-ms'])
const RELAY = new URL('../relay.js', import.meta.url).pathname

interface Proc {
  name: string
  child: ChildProcess
  http: string
  tcp: string
}

function launch(name: string, args: string[]): Promise<Proc> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [RELAY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      const http = /http\s+(http:\/\/\S+)/.exec(out)
      const tcp = /listening\s+(\/ip4\/\S+\/tcp\/\d+\/p2p\/\S+)/.exec(out)
      if (http && tcp) {
        child.stdout?.off('data', onData)
        child.stdout?.resume()
        resolvePromise({ name, child, http: http[1], tcp: tcp[1] })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (c: Buffer) => process.stderr.write(`[${name}] ${c}`))
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${out}`)))
  })
}

async function tips(procs: Proc[]): Promise<Array<{ index: number; hash: string }>> {
  return Promise.all(
    procs.map(async (p) => {
      try {
        return (await (await fetch(`${p.http}/status`)).json()).tip
      } catch {
        return { index: -1, hash: 'unreachable' }
      }
    }),
  )
}

const procs: Proc[] = []
let stopping = false
async function stopAll(code: number): Promise<never> {
  stopping = true
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((done) => {
          if (p.child.exitCode !== null) return done()
          p.child.once('exit', () => done())
          p.child.kill('SIGTERM')
          setTimeout(() => p.child.kill('SIGKILL'), 10_000).unref()
        }),
    ),
  )
  process.exit(code)
}
process.on('SIGINT', () => (stopping ? process.exit(130) : void stopAll(0)))
process.on('SIGTERM', () => (stopping ? process.exit(130) : void stopAll(0)))

await rm(root, { recursive: true, force: true })
await mkdir(root, { recursive: true })
const { genesis, producers, faucet } = await makeDevnet(
  { mode: 'praos', producers: 3, slotMs, faucet: true },
  nodeCrypto,
)
const genesisFile = join(root, 'genesis.json')
await writeFile(genesisFile, `${JSON.stringify(genesisToJson(genesis), null, 2)}\n`)
const keyFiles = await Promise.all(
  producers.map(async (p, i) => {
    const file = join(root, `producer-${i}.json`)
    await writeFile(file, JSON.stringify({ secret: toHex(p.secret), vrfSecret: toHex(p.vrfSecret) }), {
      mode: 0o600,
    })
    return file
  }),
)
const faucetFile = join(root, 'faucet.json')
await writeFile(faucetFile, JSON.stringify({ secret: toHex(faucet!.secret) }), { mode: 0o600 })
try {
  const common = [
    '--genesis',
    genesisFile,
    '--tcp-port',
    '0',
    '--ws-port',
    '0',
    '--webrtc-port',
    '0',
    '--allow-private',
  ]
  const relay = await launch('relay', [
    ...common,
    '--data-dir',
    join(root, 'relay'),
    '--http-port',
    values['http-port'],
    '--faucet-key',
    faucetFile,
  ])
  procs.push(relay)
  for (const [i, keyFile] of keyFiles.entries()) {
    procs.push(
      await launch(`producer-${i}`, [
        ...common,
        '--data-dir',
        join(root, `producer-${i}`),
        '--http-port',
        '0',
        '--producer-key',
        keyFile,
        '--bootstrap',
        relay.tcp,
      ]),
    )
  }
  console.log(`pp-node devnet: relay + 3 producers (${root})`)
  console.log(`  demo page   ${relay.http}/`)
  console.log(`  bootstrap   ${relay.tcp}`)
  console.log('  Ctrl-C stops all of them')
} catch (err) {
  console.error(`devnet: ${(err as Error).message}`)
  await stopAll(1)
}

const started = Date.now()
const duration = values.duration === undefined ? Number.POSITIVE_INFINITY : Number(values.duration) * 1000
while (!stopping) {
  await new Promise((r) => setTimeout(r, 5 * slotMs))
  const t = await tips(procs)
  const line = t.map((tip, i) => `${procs[i].name} ${tip.index}:${tip.hash.slice(0, 8)}`).join('  ')
  console.log(`[${Math.round((Date.now() - started) / 1000)} s] ${line}`)
  if (Date.now() - started >= duration) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const now = await tips(procs)
      if (now.every((x) => x.hash === now[0].hash)) {
        console.log(`all ${procs.length} nodes agree on tip ${now[0].index} ${now[0].hash}`)
        await stopAll(0)
      }
      await new Promise((r) => setTimeout(r, slotMs / 4))
    }
    console.log('nodes disagree on the tip')
    await stopAll(1)
  }
}
