import { createSocket } from 'node:dgram'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { keychain } from '@libp2p/keychain'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { tcp } from '@libp2p/tcp'
import { webRTCDirect } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { LevelDatastore } from 'datastore-level'
import { Registry } from 'prom-client'
import { nodePlatform } from '../platform/node/index.ts'
import { libp2pNetwork, nodeTransports } from '../platform/node/network.ts'
import type { ProducerSecrets } from '../src/config.ts'
import { type DevnetOptions, makeDevnet } from '../src/devnet.ts'
import { fromHex, toHex } from '../src/encoding/hash.ts'
import { ConfigError } from '../src/errors.ts'
import { type Genesis, genesisToJson, parseGenesis } from '../src/genesis.ts'
import type { Libp2pNetwork } from '../src/net/chain-network.ts'
import type { Libp2pTransports } from '../src/net/host.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { Faucet } from './faucet.ts'
import { HealthCheck } from './health.ts'
import { createHttpApi, type HttpLimits } from './http-api.ts'
import { RelayMetrics } from './metrics.ts'
import { VERSION } from './version.ts'

/** Everything the relay process is configured with (CLI flags and environment). */
export interface RelayOptions {
  dataDir: string
  /** A genesis file; without one the relay makes a devnet in its data dir on first run and reuses it. */
  genesisFile?: string
  /** A parsed genesis and producer keys (embedding and tests), instead of files. */
  chain?: { genesis: Genesis; producer?: ProducerSecrets }
  /** A JSON file `{secret, vrfSecret?}` (hex) with the producer's keys; the devnet's own keys by default. */
  producerKeyFile?: string
  /** A JSON file `{secret}` (hex) of the account that funds `POST /faucet`. */
  faucetKeyFile?: string
  /** Coins per faucet grant (default: 0.5 % of the genesis supply). */
  faucetGrant?: bigint
  /** Faucet grants per hour to one client network (/24, /64), default 5. */
  faucetNetworkLimit?: number
  /** Connection caps, deadlines and rate limits of the HTTP API (`HTTP_LIMITS` by default). */
  httpLimits?: HttpLimits
  host: string
  /** Dial private and loopback addresses (a local devnet); off on servers. */
  allowPrivate: boolean
  tcpPort: number
  wsPort: number
  /** UDP port of the WebRTC-Direct listener (pages served over https reach the relay through it), or none. */
  webrtcPort?: number
  /** A certificate and key (PEM) for the WebSocket port to serve wss:// instead of ws:// (operators with a domain). */
  tls?: { cert: string; key: string }
  httpPort: number
  bootstrapPeers: string[]
  /** Public multiaddrs to announce instead of the bind addresses (behind NAT, in a container). */
  announce?: string[]
  maxPeers: number
  /** Epochs of blocks kept (default: the whole history, to serve joining nodes). */
  keepEpochs?: number
  /** Where a relay with an empty data dir starts ("<index>:<hash>"; default: genesis). */
  checkpoint?: string
  /** Called with the node before it starts (to report what start does: a snapshot download). */
  beforeStart?: (node: PPNode) => void
  /** Start over: delete the chain, keys and devnet of the data dir first. */
  reset?: boolean
  /** Devnet parameters for a freshly made devnet. */
  devnet?: DevnetOptions
  /** Where the demo page and browser bundles are. */
  staticDir: string
}

/** A running relay: the full node, its HTTP server and how to stop both. */
export interface RelayNode {
  node: PPNode
  http: Server
  httpUrl: string
  multiaddrs(): string[]
  stop(): Promise<void>
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`)
  }
}

/**
 * Circuit relay v2 limits sized for browser tabs: each tab holds one reservation and uses relayed
 * circuits only to signal WebRTC, so 2 min / 1 MiB per circuit and 256 reservations suffice.
 */
const RELAY_LIMITS = {
  maxReservations: 256,
  defaultDurationLimit: 120_000,
  defaultDataLimit: 1n << 20n,
} as const

/** The devnet genesis, producer and faucet keys of the data dir, made on first run. */
async function devnetOf(
  options: RelayOptions,
): Promise<{ genesis: Genesis; producer: ProducerSecrets; faucet?: Uint8Array }> {
  const genesisPath = join(options.dataDir, 'genesis.json')
  const keyPath = join(options.dataDir, 'producer-key.json')
  const faucetPath = join(options.dataDir, 'faucet-key.json')
  try {
    const genesis = parseGenesis(JSON.parse(await readFile(genesisPath, 'utf8')))
    const producer = parseKeyFile(await readJson(keyPath), keyPath)
    // A devnet made before the faucet had an account of its own has none; a damaged key file is an error.
    const faucet = await readFile(faucetPath, 'utf8').then(
      async () => parseKeyFile(await readJson(faucetPath), faucetPath).secret,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined
        throw err
      },
    )
    return { genesis, producer, ...(faucet && { faucet }) }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const { genesis, producers, faucet } = await makeDevnet(
    { mode: 'praos', faucet: true, ...options.devnet },
    nodePlatform(options).crypto,
  )
  await writeFile(faucetPath, JSON.stringify({ secret: toHex(faucet!.secret) }, null, 2), { mode: 0o600 })
  const producer = { secret: producers[0].secret, vrfSecret: producers[0].vrfSecret }
  await writeFile(
    keyPath,
    JSON.stringify({ secret: toHex(producer.secret), vrfSecret: toHex(producer.vrfSecret) }, null, 2),
    {
      mode: 0o600,
    },
  )
  await writeFile(genesisPath, `${JSON.stringify(genesisToJson(genesis), null, 2)}\n`)
  return { genesis, producer, faucet: faucet!.secret }
}

function parseKeyFile(json: unknown, path: string): ProducerSecrets {
  const { secret, vrfSecret } = (json ?? {}) as { secret?: unknown; vrfSecret?: unknown }
  const s = typeof secret === 'string' ? fromHex(secret) : undefined
  const v = typeof vrfSecret === 'string' ? fromHex(vrfSecret) : undefined
  if (s?.length !== 32) throw new ConfigError(`${path}: "secret" must be 32 bytes as 64 hex characters`)
  if (vrfSecret !== undefined && v?.length !== 32)
    throw new ConfigError(`${path}: "vrfSecret" must be 32 bytes as hex`)
  return v ? { secret: s, vrfSecret: v } : { secret: s }
}

/** The default faucet grant: 0.5 % of the genesis supply (20 grants empty a devnet faucet). */
function defaultGrant(genesis: Genesis): bigint {
  const supply = [...genesis.balances.values()].reduce((sum, b) => sum + b, 0n)
  return supply / 200n || 1n
}

/**
 * Node's transports, the WebSocket one serving wss:// when given a certificate, plus WebRTC-Direct:
 * a browser dials it with the certificate hash in the multiaddr, so a page served over https
 * reaches the relay without a CA certificate (a plain ws:// dial from such a page is mixed content).
 */
function relayTransports(tls?: { cert: string; key: string }): Libp2pTransports {
  return (settings) => ({
    ...nodeTransports(settings),
    transports: [tcp(), webSockets(tls ? { https: tls } : {}), webRTCDirect()],
  })
}

/**
 * The UDP port to listen on: `port`, or for 0 one the system reports free for UDP (libp2p would
 * pick one free for TCP, which may be a browser's ICE socket on this machine).
 */
async function udpPort(host: string, port: number): Promise<number> {
  if (port !== 0) return port
  const socket = createSocket('udp4')
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(0, host, resolve)
  })
  const free = socket.address().port
  await new Promise<void>((resolve) => socket.close(() => resolve()))
  return free
}

/** Starts the bootstrap node: full node + circuit relay + TCP/WS/WebRTC-Direct listeners + HTTP API. */
export async function startRelayNode(options: RelayOptions): Promise<RelayNode> {
  if (options.reset) await rm(options.dataDir, { recursive: true, force: true })
  await mkdir(options.dataDir, { recursive: true })
  let genesis: Genesis
  let producer: ProducerSecrets | undefined
  let faucetSecret: Uint8Array | undefined
  if (options.chain !== undefined) {
    genesis = options.chain.genesis
    producer = options.chain.producer
  } else if (options.genesisFile === undefined) {
    ;({ genesis, producer, faucet: faucetSecret } = await devnetOf(options))
  } else {
    genesis = parseGenesis(await readJson(options.genesisFile))
  }
  if (options.producerKeyFile !== undefined)
    producer = parseKeyFile(await readJson(options.producerKeyFile), options.producerKeyFile)
  if (options.faucetKeyFile !== undefined)
    faucetSecret = parseKeyFile(await readJson(options.faucetKeyFile), options.faucetKeyFile).secret
  const platform = nodePlatform({ dataDir: options.dataDir })
  const datastore = new LevelDatastore(join(options.dataDir, 'libp2p'))
  await datastore.open()
  const registry = new Registry()
  const node = createNode(
    {
      genesis,
      ...(producer && { producer }),
      ...(options.keepEpochs !== undefined && { keepEpochs: options.keepEpochs }),
      ...(options.checkpoint !== undefined && { checkpoint: options.checkpoint }),
      network: {
        enableP2P: true,
        listenAddr: [
          `/ip4/${options.host}/tcp/${options.tcpPort}`,
          `/ip4/${options.host}/tcp/${options.wsPort}/${options.tls ? 'tls/ws' : 'ws'}`,
          ...(options.webrtcPort === undefined
            ? []
            : [`/ip4/${options.host}/udp/${await udpPort(options.host, options.webrtcPort)}/webrtc-direct`]),
        ],
        bootstrapPeers: options.bootstrapPeers,
        ...(options.announce && { announceAddr: options.announce }),
        maxPeers: options.maxPeers,
        allowPrivateAddresses: options.allowPrivate,
      },
    },
    platform,
    {
      network: libp2pNetwork({
        transports: relayTransports(options.tls),
        // The keychain keeps the WebRTC-Direct certificate's key in the libp2p store of the data
        // dir, so the certhash (part of the relay's multiaddr) survives restarts.
        services: { relay: circuitRelayServer({ reservations: { ...RELAY_LIMITS } }), keychain: keychain() },
        datastore,
        // libp2p's metrics and the standard process metrics, on the relay's own registry.
        metrics: prometheusMetrics({ registry, preserveExistingMetrics: true }),
        userAgent: `pp-node/${VERSION} node/${process.versions.node}`,
      }),
    },
  )
  const network = node.network as Libp2pNetwork
  options.beforeStart?.(node)
  await node.start().catch(async (err) => {
    await datastore.close()
    throw err
  })
  const multiaddrs = (): string[] => (network.libp2p?.getMultiaddrs() ?? []).map((a) => a.toString())
  const metrics = new RelayMetrics(node, VERSION, registry)
  const http = createHttpApi({
    node,
    metrics,
    health: new HealthCheck(node),
    version: VERSION,
    bootstrapAddrs: multiaddrs,
    staticDir: options.staticDir,
    ...(options.httpLimits && { limits: options.httpLimits }),
    ...(faucetSecret && {
      faucet: new Faucet(node, faucetSecret, {
        grant: options.faucetGrant ?? defaultGrant(genesis),
        ...(options.faucetNetworkLimit && {
          network: { burst: options.faucetNetworkLimit, intervalMs: 3_600_000 / options.faucetNetworkLimit },
        }),
      }),
    }),
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.httpPort, options.host, () => resolve())
  })
  const { port } = http.address() as AddressInfo
  return {
    node,
    http,
    httpUrl: `http://${options.host}:${port}`,
    multiaddrs,
    async stop() {
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
      await node.stop()
      await datastore.close()
    },
  }
}
