import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { nodeTransports } from '../platform/node/network.ts'
import { createHost } from '../src/net/host.ts'
import { ANY_PORTS, freePort, type RelayProcess, startRelayProcess } from './support/relay-process.ts'

const run = promisify(execFile)
const RELAY = new URL('../relay.js', import.meta.url).pathname
const VERSION = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
  .version as string

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, checked by the assertions
type Json = Record<string, any>

/** GET a relay path: its status and its body (JSON, or text for /metrics). */
async function get(relay: RelayProcess, path: string): Promise<{ status: number; body: Json; text: string }> {
  const res = await fetch(`${relay.httpUrl}${path}`)
  const text = await res.text()
  return { status: res.status, text, body: text.startsWith('{') ? JSON.parse(text) : {} }
}

/** The value of one sample in Prometheus text (0 when absent). */
function sample(metrics: string, name: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? 0 : Number(line.split(' ')[1])
}

describe('operating a relay: version, health, logs with time and level, Prometheus metrics', function () {
  this.timeout(180_000)
  const dirs: string[] = []
  const relays: RelayProcess[] = []
  const dataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-ops-'))
    dirs.push(dir)
    return dir
  }
  const start = async (args: string[]) => {
    const relay = await startRelayProcess([...ANY_PORTS, '--allow-private', '--slot-ms', '200', ...args])
    relays.push(relay)
    return relay
  }

  after(async () => {
    for (const relay of relays) if (relay.child.exitCode === null) await relay.stop('SIGKILL')
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('--version prints the package version', async () => {
    const { stdout } = await run(process.execPath, [RELAY, '--version'])
    expect(stdout.trim()).to.equal(`pp-node ${VERSION}`)
  })

  it('a producer and a follower relay: health, build info, libp2p and process metrics, import and propagation histograms, timed log lines; the follower turns unhealthy when blocks stop', async () => {
    const producerDir = await dataDir()
    const producer = await start(['--data-dir', producerDir])
    const follower = await start([
      '--data-dir',
      await dataDir(),
      '--genesis',
      join(producerDir, 'genesis.json'),
      '--bootstrap',
      producer.multiaddrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))!,
      '--log-format',
      'json',
    ])
    // Both follow the chain: the follower receives blocks over gossip and is healthy.
    let health = { status: 0, body: {} as Json }
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      health = await get(follower, '/health')
      // Healthy, and at least one block came over gossip (the first ones may come by sync).
      const gossiped = sample((await get(follower, '/metrics')).text, 'pp_block_propagation_seconds_count')
      if (health.status === 200 && gossiped > 0) break
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(health.status, JSON.stringify(health.body)).to.equal(200)
    expect(health.body).to.include({ healthy: true, syncing: false, producer: false })
    const producerHealth = await get(producer, '/health')
    expect(producerHealth.status, producerHealth.text).to.equal(200)
    expect(producerHealth.body).to.include({ healthy: true, producer: true })
    expect((await get(producer, '/status')).body.version).to.equal(VERSION)

    const metrics = (await get(follower, '/metrics')).text
    expect(metrics).to.include(`pp_build_info{version="${VERSION}"} 1`)
    expect(sample(metrics, 'pp_block_import_seconds_count')).to.be.greaterThan(0)
    expect(sample(metrics, 'pp_block_propagation_seconds_count')).to.be.greaterThan(0)
    expect(metrics).to.match(/^pp_block_propagation_seconds_bucket\{le="0.1"\} \d+$/m)
    expect(sample(metrics, 'pp_blocks_received_total')).to.be.greaterThan(0)
    // libp2p's own metrics and the standard process metrics, on the same registry.
    expect(metrics).to.match(/^libp2p_\w+/m)
    expect(metrics).to.match(/^process_cpu_user_seconds_total \d/m)
    expect(metrics).to.match(/^nodejs_heap_size_used_bytes \d/m)

    // Log lines: text with an ISO time and a level; JSON objects with time, level and msg.
    expect(producer.output()).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info {2}block \d+ slot \d+/m)
    const jsonBlock = follower
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Json)
      .find((l) => l.event === 'block')
    expect(jsonBlock).to.include({ level: 'info', event: 'block', produced: false })
    expect(new Date(jsonBlock!.time).toISOString()).to.equal(jsonBlock!.time)

    // The producer goes away: after 40 slots (8 s) without a block the follower says it is stale.
    await producer.stop('SIGKILL')
    const stale = Date.now() + 60_000
    while (Date.now() < stale) {
      health = await get(follower, '/health')
      if (health.status === 503) break
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(health.status).to.equal(503)
    expect(health.body.healthy).to.equal(false)
    expect(health.body.reason).to.match(/^stale: the tip \(slot \d+\) is \d+ slots old/)
  })

  it('--announce: GET /bootstrap and identify give the announced addresses, not the bind addresses', async () => {
    const tcpPort = await freePort()
    const announced = ['/dns4/relay.example.com/tcp/4001', '/ip4/203.0.113.7/tcp/4002/ws']
    const webrtc = '/ip4/203.0.113.7/udp/4003/webrtc-direct'
    const relay = await startRelayProcess([
      '--data-dir',
      await dataDir(),
      '--tcp-port',
      String(tcpPort),
      '--ws-port',
      '0',
      '--webrtc-port',
      '0',
      '--http-port',
      '0',
      ...[...announced, webrtc].flatMap((a) => ['--announce', a]),
    ])
    relays.push(relay)
    const { multiaddrs } = (await get(relay, '/bootstrap')).body as { multiaddrs: string[] }
    const peerId = multiaddrs[0].split('/p2p/')[1]
    expect(multiaddrs.slice(0, 2)).to.deep.equal(announced.map((a) => `${a}/p2p/${peerId}`))
    // The announced WebRTC-Direct address gets the relay's certificate hash.
    expect(multiaddrs[2]).to.match(new RegExp(`^${webrtc}/certhash/[\\w-]+/p2p/${peerId}$`))
    expect(multiaddrs).to.have.length(3)
    const host = await createHost({
      transports: nodeTransports,
      settings: { listen: [], allowPrivateAddresses: true },
    })
    try {
      const identified = new Promise<string[]>((resolve) =>
        host.addEventListener(
          'peer:identify',
          (e) => resolve(e.detail.listenAddrs.map((a) => a.toString())),
          {
            once: true,
          },
        ),
      )
      await host.dial(multiaddr(`/ip4/127.0.0.1/tcp/${tcpPort}/p2p/${peerId}`))
      const told = await identified
      expect(told.filter((a) => !a.includes('/webrtc-direct'))).to.have.members(announced)
      expect(told.filter((a) => a.includes('/webrtc-direct'))).to.have.length(1)
      expect(told.find((a) => a.includes('/webrtc-direct'))).to.match(
        new RegExp(`^${webrtc}/certhash/[\\w-]+$`),
      )
    } finally {
      await host.stop()
    }
  })
})
