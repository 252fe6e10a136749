// Benchmarks that need real networking or processes (Node only): sync, propagation, admission, footprint.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { nodePlatform } from '../platform/node/index.ts'
import { libp2pNetwork, nodeTransports } from '../platform/node/network.ts'
import { startRelayNode } from '../relay/relay-node.ts'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import type { Genesis } from '../src/genesis.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { txToJson } from '../src/ledger/json.ts'
import type { Transaction } from '../src/ledger/transaction.ts'
import { DEFAULT_MAX_PER_SENDER } from '../src/mempool.ts'
import { createHost } from '../src/net/host.ts'
import { createNode, type PPNode } from '../src/node.ts'
import type { Platform } from '../src/ports.ts'
import { bftGenesis, nextBlock, type TestKey, testKeys, transfer } from '../test/support/chain-fixtures.ts'
import type { Figure } from './cases.ts'

const seconds = (start: number): number => (performance.now() - start) / 1000
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until `condition` holds, failing after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`)
    await wait(5)
  }
}

/** A chain of `count` blocks with `txs` transfers each, written straight into a node's store. */
export async function seedChain(
  platform: Platform,
  keys: TestKey[],
  genesis: Genesis,
  count: number,
  txs: number,
): Promise<void> {
  const chain = await ChainStore.open(await platform.openStore('chain'), genesis)
  let state = genesisState(genesis)
  const senders = keys.slice(1)
  for (let b = 0; b < count; b++) {
    const body: Transaction[] = []
    for (let i = 0; i < txs; i++) {
      const from = senders[i % senders.length]
      const nonce = state.accounts.get(from.address)!.nonce + Math.floor(i / senders.length)
      body.push(await transfer(from, keys[0].address, 1n, nonce, platform.crypto))
    }
    const block = await nextBlock(state, body, keys[0], platform.crypto, b)
    await chain.adopt([block])
    state = applyBlock(state, block, genesis)
  }
  await chain.close()
}

/** A Node platform on a fresh temporary directory, and the function that deletes it. */
export async function tempPlatform(): Promise<{ platform: Platform; dispose: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pp-bench-net-'))
  return { platform: nodePlatform({ dataDir }), dispose: () => rm(dataDir, { recursive: true, force: true }) }
}

/** A node on real libp2p listening on loopback (TCP, or the addresses given), dialling `bootstrap`. */
export function netNode(
  genesis: Genesis,
  platform: Platform,
  bootstrap: string[],
  producer?: TestKey,
  listen = ['/ip4/127.0.0.1/tcp/0'],
): PPNode {
  return createNode(
    {
      genesis,
      ...(producer && { producer: { secret: producer.secret } }),
      network: {
        enableP2P: true,
        listenAddr: listen,
        bootstrapPeers: bootstrap,
        allowPrivateAddresses: true,
        maxPeers: 100,
      },
    },
    platform,
    { network: libp2pNetwork() },
  )
}

/** A node's first TCP (not WebSocket) listen address. */
export const tcpOf = (node: PPNode): string =>
  (node.network as { libp2p?: { getMultiaddrs(): { toString(): string }[] } })
    .libp2p!.getMultiaddrs()
    .map(String)
    .find((a) => !a.includes('/ws'))!

/** A fresh node syncs `count` blocks of `txs` transfers from one peer over loopback TCP. */
export async function syncRate(
  count: number,
  txs: number,
): Promise<{
  figures: Figure[]
  serve: () => Promise<{ ws: string; genesis: Genesis; count: number; stop: () => Promise<void> }>
}> {
  const keys = await testKeys(
    Math.min(Math.max(txs, 1), 50) + 1,
    nodePlatform({ dataDir: tmpdir() }).crypto,
    'bench-sync',
  )
  const genesis = bftGenesis(
    keys,
    { maxTxPerBlock: Math.max(txs, 1), maxBlockBytes: 4 * 1024 * 1024, k: 10, genesisTime: 0 },
    1,
  )
  const source = await tempPlatform()
  await seedChain(source.platform, keys, genesis, count, txs)
  const clock = new ManualClock(slotStart(genesis, count + 1))
  const a = netNode(genesis, { ...source.platform, clock }, [], undefined, [
    '/ip4/127.0.0.1/tcp/0',
    '/ip4/127.0.0.1/tcp/0/ws',
  ])
  await a.start()
  const target = await tempPlatform()
  const b = netNode(genesis, { ...target.platform, clock }, [tcpOf(a)])
  const start = performance.now()
  await b.start()
  await until(() => b.getState().tip.index === count, 600_000, 'sync')
  const s = seconds(start)
  await b.stop()
  await target.dispose()
  const label = `sync ${count} blocks × ${txs} transfers, Node ← Node (TCP)`
  const figures: Figure[] = [{ name: label, value: count / s, unit: 'blocks/s' }]
  if (txs > 0) figures.push({ name: label, value: (count * txs) / s, unit: 'tx/s' })
  return {
    figures,
    // Keeps the source node up for a browser to sync from over WebSocket.
    serve: async () => ({
      ws: (a.network as { libp2p?: { getMultiaddrs(): { toString(): string }[] } })
        .libp2p!.getMultiaddrs()
        .map(String)
        .find((x) => x.includes('/ws'))!,
      genesis,
      count,
      stop: async () => {
        await a.stop()
        await source.dispose()
      },
    }),
  }
}

/** 20 nodes in one process over real libp2p: block produced → added on every node. */
export async function propagation(nodes: number, blocks: number): Promise<Figure[]> {
  const keys = await testKeys(nodes, nodePlatform({ dataDir: tmpdir() }).crypto, 'bench-prop')
  const genesis = bftGenesis(keys, { k: 10, genesisTime: 0 }, nodes)
  const clock = new ManualClock(slotStart(genesis, 0) - 1)
  const envs = await Promise.all(Array.from({ length: nodes }, tempPlatform))
  const all: PPNode[] = []
  for (let i = 0; i < nodes; i++) {
    const node = netNode(
      genesis,
      { ...envs[i].platform, clock },
      i === 0 ? [] : [tcpOf(all[0]), ...(i > 1 ? [tcpOf(all[i - 1])] : [])],
      keys[i],
    )
    await node.start()
    all.push(node)
  }
  const producedAt = new Map<string, number>()
  const arrivals = new Map<string, number[]>()
  for (const node of all) {
    node.addEventListener('block:added', ({ detail: { block, produced } }) => {
      const id = block.hash.join()
      if (produced) producedAt.set(id, performance.now())
      else arrivals.set(id, [...(arrivals.get(id) ?? []), performance.now()])
    })
  }
  await until(
    () =>
      all.every(
        (n) =>
          (
            n.network as { libp2p?: { services: { pubsub: { getSubscribers(t: string): unknown[] } } } }
          ).libp2p!.services.pubsub.getSubscribers(`/pp/${genesis.chainId}/blocks/1`).length > 0,
      ),
    60_000,
    'gossip mesh',
  )
  await wait(2000) // let the gossip mesh settle (heartbeats)
  const delays: number[] = []
  for (let slot = 0; slot < blocks; slot++) {
    clock.set(slotStart(genesis, slot))
    await until(
      () => all.every((n) => n.getState().tip.index === slot + 1),
      30_000,
      `block ${slot + 1} everywhere`,
    )
    const id = [...producedAt.keys()].at(-1)!
    delays.push(Math.max(...(arrivals.get(id) ?? [0])) - producedAt.get(id)!)
  }
  await Promise.all(all.map((n) => n.stop()))
  await Promise.all(envs.map((e) => e.dispose()))
  delays.sort((x, y) => x - y)
  const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]
  return [
    { name: `propagation to all ${nodes} nodes, p50`, value: at(0.5), unit: 'ms' },
    {
      name: `propagation to all ${nodes} nodes, p95`,
      value: at(0.95),
      unit: 'ms',
      anchor: { value: 150, what: 'target p95 < 150 ms' },
    },
    { name: `propagation to all ${nodes} nodes, max`, value: delays.at(-1)!, unit: 'ms' },
  ]
}

/** Signed transactions per second admitted by submitTransaction and by POST /tx. */
export async function admission(count: number): Promise<Figure[]> {
  const env = await tempPlatform()
  // Enough senders that none goes over the mempool's per-sender cap in the two rounds.
  const senders = Math.ceil((2 * count) / (DEFAULT_MAX_PER_SENDER - 1))
  const keys = await testKeys(senders + 1, env.platform.crypto, 'bench-admit')
  const genesis = bftGenesis(keys, { maxBlockBytes: 4 * 1024 * 1024, genesisTime: Date.now() + 3600_000 }, 1)
  const relay = await startRelayNode({
    dataDir: join(tmpdir(), `pp-bench-relay-${Date.now()}`),
    host: '127.0.0.1',
    allowPrivate: true,
    tcpPort: 0,
    wsPort: 0,
    httpPort: 0,
    bootstrapPeers: [],
    maxPeers: 100,
    staticDir: 'dist',
    chain: { genesis },
  })
  const make = (offset: number) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        transfer(
          keys[1 + (i % senders)],
          keys[0].address,
          1n,
          offset + Math.floor(i / senders),
          env.platform.crypto,
        ),
      ),
    )
  const direct = await make(0)
  let start = performance.now()
  for (const tx of direct) await relay.node.submitTransaction(tx, { broadcast: false })
  const viaApi = performance.now()
  const submitRate = count / ((viaApi - start) / 1000)
  const http = (await make(Math.ceil(count / senders))).map((tx) => JSON.stringify(txToJson(tx)))
  start = performance.now()
  for (let i = 0; i < http.length; i += 16) {
    await Promise.all(
      http
        .slice(i, i + 16)
        .map((body) => fetch(`${relay.httpUrl}/tx`, { method: 'POST', body }).then((r) => r.arrayBuffer())),
    )
  }
  const httpRate = count / seconds(start)
  await relay.stop()
  await env.dispose()
  return [
    { name: 'mempool admission, submitTransaction (verify + checks)', value: submitRate, unit: 'tx/s' },
    { name: 'mempool admission, POST /tx (16 in flight)', value: httpRate, unit: 'tx/s' },
  ]
}

/** Relay memory idle and with 50 libp2p WebSocket peers, cold start to first peer (bundle size: bundle-cases.ts). */
export async function footprint(peers: number, signal: AbortSignal): Promise<Figure[]> {
  const figures: Figure[] = []
  const dataDir = await mkdtemp(join(tmpdir(), 'pp-bench-relay-'))
  const child = spawn(
    process.execPath,
    [
      'relay.js',
      // The peers all dial from 127.0.0.1: without it the relay takes at most 32 from one network.
      '--allow-private',
      '--data-dir',
      dataDir,
      '--tcp-port',
      '0',
      '--ws-port',
      '0',
      '--webrtc-port',
      '0',
      '--http-port',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  // The relay process goes away however the measurement ends, given up on included.
  signal.addEventListener('abort', () => child.kill('SIGKILL'), { once: true })
  try {
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c
    })
    await until(() => /http\s+http:\/\/\S+/.test(out), 30_000, 'relay start')
    const httpUrl = /http\s+(http:\/\/\S+)/.exec(out)![1]
    const ws = /listening\s+(\/\S+\/ws\/\S+)/.exec(out)![1]
    const rss = async () =>
      Number(
        /^process_resident_memory_bytes (\d+)$/m.exec(await (await fetch(`${httpUrl}/metrics`)).text())![1],
      ) /
      2 ** 20
    await wait(2000)
    figures.push({ name: 'relay resident memory, idle', value: await rss(), unit: 'MiB' })
    const hosts = []
    for (let i = 0; i < peers; i++) {
      const host = await createHost({
        transports: nodeTransports,
        settings: { listen: [], allowPrivateAddresses: true },
      })
      hosts.push(host)
      // A relay refuses a burst of inbound connections from one address now and then: try again.
      for (let attempt = 1; ; attempt++) {
        try {
          await host.dial(multiaddr(ws), { signal })
          break
        } catch (err) {
          if (attempt === 5) throw err
          await wait(250 * attempt)
        }
      }
    }
    await wait(3000)
    figures.push({
      name: `relay resident memory, ${peers} WebSocket libp2p peers`,
      value: await rss(),
      unit: 'MiB',
    })
    await Promise.all(hosts.map((h) => h.stop()))
    // Cold start: a new node process-local, from start() to its first connected peer.
    const env = await tempPlatform()
    const genesis = (await (await fetch(`${httpUrl}/genesis`)).json()) as Genesis
    const start = performance.now()
    const node = createNode(
      { genesis, network: { enableP2P: true, bootstrapPeers: [ws], allowPrivateAddresses: true } },
      env.platform,
      { network: libp2pNetwork() },
    )
    let connected = 0
    node.addEventListener('peer:connect', () => {
      connected ||= performance.now()
    })
    await node.start()
    await until(() => connected > 0, 30_000, 'first peer')
    figures.push({ name: 'node cold start to first peer (WebSocket)', value: connected - start, unit: 'ms' })
    await node.stop()
    await env.dispose()
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
    await rm(dataDir, { recursive: true, force: true })
  }
  return figures
}

/**
 * Time from a dropped direct link to a restored one: two nodes that found each other through a
 * hub (as two tabs through a relay) lose their link, and once restored lose it again (within the
 * minute in which discovery does not dial a peer twice); `pairs` new pairs.
 * Run alone with `npx node -e "import('./bench/network-cases.ts').then(async (m) => console.log(await m.redial(5)))"`.
 */
export async function redial(pairs: number): Promise<Figure[]> {
  const keys = await testKeys(1, nodePlatform({ dataDir: tmpdir() }).crypto, 'bench-redial')
  const genesis = bftGenesis(keys, { k: 10, genesisTime: 0 }, 1)
  const clock = new ManualClock(slotStart(genesis, 0) - 1)
  const hubEnv = await tempPlatform()
  const hub = netNode(genesis, { ...hubEnv.platform, clock }, [])
  await hub.start()
  const times: [number[], number[]] = [[], []]
  type Net = { libp2p: import('libp2p').Libp2p }
  try {
    for (let i = 0; i < pairs; i++) {
      const envs = await Promise.all([tempPlatform(), tempPlatform()])
      const [a, b] = envs.map((e) => netNode(genesis, { ...e.platform, clock }, [tcpOf(hub)]))
      try {
        await a.start()
        await b.start()
        const [la, lb] = [(a.network as unknown as Net).libp2p, (b.network as unknown as Net).libp2p]
        const linked = () =>
          la.getConnections(lb.peerId).some((c) => c.status === 'open' && c.limits === undefined)
        await until(linked, 30_000, 'the two nodes to find each other')
        for (const drop of [0, 1]) {
          await wait(500)
          for (const c of la.getConnections(lb.peerId)) c.abort(new Error('link lost'))
          await until(() => !linked(), 10_000, 'the link down')
          const lost = performance.now()
          await until(linked, 90_000, 'the link back')
          times[drop].push(performance.now() - lost)
        }
      } finally {
        await a.stop()
        await b.stop()
        await Promise.all(envs.map((e) => e.dispose()))
      }
    }
  } finally {
    await hub.stop()
    await hubEnv.dispose()
  }
  return times.flatMap((list, drop) => {
    list.sort((x, y) => x - y)
    const name = `dropped direct link to restored, ${drop === 0 ? 'first loss' : 'lost again'}, ${pairs} pairs`
    return [
      { name: `${name}, p50`, value: list[Math.floor(pairs / 2)], unit: 'ms' },
      {
        name: `${name}, max`,
        value: list.at(-1)!,
        unit: 'ms',
        anchor: { value: 5000, what: 'goal < 5,000 ms' },
      },
    ]
  })
}
