/**
 * `node relay.js`: the bootstrap node — full node, circuit relay for browser tabs, HTTP JSON API.
 *
 * @example
 * node relay.js --data-dir ./.pp-data --http-port 8080
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { multiaddr } from '@multiformats/multiaddr'
import { toHex } from '../src/encoding/hash.ts'
import { addressOf } from '../src/ledger/address.ts'
import { parseCheckpoint } from '../src/ledger/snapshot.ts'
import type { PPNode } from '../src/node.ts'
import { HTTP_LIMITS } from './http-api.ts'
import { createRelayLog } from './relay-log.ts'
import { type RelayOptions, startRelayNode } from './relay-node.ts'
import { reportStart } from './start-report.ts'
import { VERSION } from './version.ts'
import { runWallet } from './wallet.ts'

const USAGE = `Usage: node relay.js [options]          (every option also reads the environment variable shown)

  --data-dir <dir>       chain, peer identity and devnet keys (PP_DATA_DIR, default ./.pp-data)
  --genesis <file>       genesis file of the chain to join (PP_GENESIS); without it a local devnet
                         is made in the data dir on first run and reused afterwards
  --producer-key <file>  JSON {"secret": hex, "vrfSecret": hex} to produce blocks with (PP_PRODUCER_KEY)
  --faucet-key <file>    JSON {"secret": hex} of an account that funds POST /faucet (PP_FAUCET_KEY);
                         a devnet made by the relay has its own faucet account (not a pool) holding
                         a tenth of the supply, so all grants together stay under 10 % of the stake
  --faucet-grant <n>     coins per faucet grant (PP_FAUCET_GRANT, default 0.5 % of the genesis supply)
  --faucet-network-limit <n>  faucet grants an hour to one client network, a /24 (IPv4) or /64 (IPv6),
                         beside one per address and per client IP every 10 s (PP_FAUCET_NETWORK_LIMIT,
                         default 5)
  --host <ip>            address to listen on (PP_HOST, default 127.0.0.1; 0.0.0.0 for every interface,
                         as a server needs)
  --announce <addr>      a public multiaddr peers should dial, e.g. /dns4/relay.example.com/tcp/4001
                         or /ip4/203.0.113.7/tcp/4002/ws, told by identify and GET /bootstrap instead
                         of the bind addresses (behind NAT, in a container); repeatable
                         (PP_ANNOUNCE, comma-separated)
  --allow-private        also dial private and loopback addresses, e.g. peers announced on a LAN
                         devnet (PP_ALLOW_PRIVATE=1; off by default: strangers cannot make the relay
                         probe its local network; \`npm start\` turns it on for its local devnet)
  --tcp-port <n>         TCP port for Node peers (PP_TCP_PORT, default 4001)
  --ws-port <n>          WebSocket port for browser tabs (PP_WS_PORT, default 4002)
  --tls-cert <file>      certificate (PEM) for the WebSocket port to serve wss:// instead of ws://, for
  --tls-key <file>       operators with a domain; both or neither (PP_TLS_CERT, PP_TLS_KEY)
  --webrtc-port <n>      UDP port for WebRTC-Direct, which pages served over https can reach without a
                         CA certificate (PP_WEBRTC_PORT, default 4003; "off" for none)
  --http-port <n>        HTTP API, demo page and metrics (PP_HTTP_PORT, default 8080)
  --http-max-connections <n>  open HTTP connections in all (PP_HTTP_MAX_CONNECTIONS, default 1024)
  --http-network-connections <n>  open HTTP connections from one /24 or /64 network; more are closed
                         at once (PP_HTTP_NETWORK_CONNECTIONS, default 64)
  --http-header-timeout <s>   seconds a client has to send a request's headers; a slow one gets 408
                         and is closed (PP_HTTP_HEADER_TIMEOUT, default 10)
  --http-request-timeout <s>  seconds for a whole request, headers and body (PP_HTTP_REQUEST_TIMEOUT,
                         default 30)
  --tx-rate <n>          POST /tx per second from one /24 or /64 network, bursts up to twice that;
                         more get 429 with Retry-After (PP_TX_RATE, default 20)
  --trusted-proxy <ip>   a reverse proxy in front of the HTTP API: its requests' client is the last
                         address of X-Forwarded-For that is not a trusted proxy, for every limit
                         above; repeatable (PP_TRUSTED_PROXY, comma-separated; default none)
  --bootstrap <addr>     a peer multiaddr to keep connected to; repeatable (PP_BOOTSTRAP, comma-separated)
  --max-peers <n>        most connections kept (PP_MAX_PEERS, default 200)
  --keep-epochs <n|all>  epochs of blocks kept; older ones are deleted once settled, and peers asking
                         for them are told to ask another (PP_KEEP_EPOCHS, default all: a relay
                         serves the whole history to nodes joining)
  --checkpoint <i:hash>  a new relay (empty data dir) starts from the state after block <i> of that
                         hash, fetched from peers and checked against the block's state root, and
                         syncs only later blocks (PP_CHECKPOINT; take it from a relay you trust:
                         GET /checkpoint). "headers": trust no block but genesis; check the header
                         chain from genesis (signatures, leaders, stake per epoch) and start from
                         its newest settled snapshot point
  --log <namespaces>     debug logs, e.g. "pp:*" or "pp:*,libp2p:*" (PP_LOG / DEBUG)
  --log-format <f>       "text" (time, level, message) or "json" (one object per line) for the
                         relay's event lines (PP_LOG_FORMAT, default text)
  --slot-ms <n>          slot length of a devnet made by the relay (PP_SLOT_MS, default 1000)
  --epoch-length <n>     slots per epoch of a devnet made by the relay; Praos needs more than 3k/f
                         (PP_EPOCH_LENGTH, default 40: k = 5, f = 1/2)
  --reset                delete the data dir's chain, identity and devnet first
  -v, --version          print the version
  -h, --help             show this help`

function fail(message: string): never {
  console.error(`pp-node: ${message} (see --help)`)
  process.exit(2)
}

function whole(name: string, value: string, min: number, max: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`--${name} must be a whole number ${min}-${max}, got "${value}"`)
  return n
}

function parseOptions(): (RelayOptions & { logFormat: 'text' | 'json' }) | undefined {
  const env = process.env
  let parsed: ReturnType<
    typeof parseArgs<{
      options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>
    }>
  >
  try {
    parsed = parseArgs({
      options: {
        'data-dir': { type: 'string' },
        genesis: { type: 'string' },
        'producer-key': { type: 'string' },
        'faucet-key': { type: 'string' },
        'faucet-grant': { type: 'string' },
        'faucet-network-limit': { type: 'string' },
        'http-max-connections': { type: 'string' },
        'http-network-connections': { type: 'string' },
        'http-header-timeout': { type: 'string' },
        'http-request-timeout': { type: 'string' },
        'tx-rate': { type: 'string' },
        'trusted-proxy': { type: 'string', multiple: true },
        host: { type: 'string' },
        'allow-private': { type: 'boolean' },
        'tcp-port': { type: 'string' },
        'ws-port': { type: 'string' },
        'webrtc-port': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'http-port': { type: 'string' },
        bootstrap: { type: 'string', multiple: true },
        announce: { type: 'string', multiple: true },
        'max-peers': { type: 'string' },
        'keep-epochs': { type: 'string' },
        checkpoint: { type: 'string' },
        log: { type: 'string' },
        'log-format': { type: 'string' },
        reset: { type: 'boolean' },
        'slot-ms': { type: 'string' },
        'epoch-length': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    })
  } catch (err) {
    fail((err as Error).message)
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>
  if (v.help === true) {
    console.log(USAGE)
    return undefined
  }
  if (v.version === true) {
    console.log(`pp-node ${VERSION}`)
    return undefined
  }
  const str = (name: string, envName: string, fallback?: string): string | undefined =>
    (v[name] as string | undefined) ?? env[envName] ?? fallback
  const log = str('log', 'PP_LOG')
  if (log !== undefined) env.DEBUG = log
  const bootstrap =
    (v.bootstrap as string[] | undefined) ?? env.PP_BOOTSTRAP?.split(',').filter(Boolean) ?? []
  for (const addr of bootstrap) if (!addr.startsWith('/')) fail(`--bootstrap "${addr}" is not a multiaddr`)
  const announce = (v.announce as string[] | undefined) ?? env.PP_ANNOUNCE?.split(',').filter(Boolean) ?? []
  for (const addr of announce) {
    try {
      multiaddr(addr)
    } catch (err) {
      fail(`--announce "${addr}" is not a multiaddr: ${(err as Error).message}`)
    }
  }
  const trustedProxies =
    (v['trusted-proxy'] as string[] | undefined) ?? env.PP_TRUSTED_PROXY?.split(',').filter(Boolean) ?? []
  for (const ip of trustedProxies) if (isIP(ip) === 0) fail(`--trusted-proxy "${ip}" is not an IP address`)
  const httpLimits = {
    maxConnections: whole(
      'http-max-connections',
      str('http-max-connections', 'PP_HTTP_MAX_CONNECTIONS', String(HTTP_LIMITS.maxConnections))!,
      1,
      1_000_000,
    ),
    connectionsPerNetwork: whole(
      'http-network-connections',
      str(
        'http-network-connections',
        'PP_HTTP_NETWORK_CONNECTIONS',
        String(HTTP_LIMITS.connectionsPerNetwork),
      )!,
      1,
      1_000_000,
    ),
    headersTimeoutMs:
      1000 *
      whole(
        'http-header-timeout',
        str('http-header-timeout', 'PP_HTTP_HEADER_TIMEOUT', String(HTTP_LIMITS.headersTimeoutMs / 1000))!,
        1,
        3600,
      ),
    requestTimeoutMs:
      1000 *
      whole(
        'http-request-timeout',
        str('http-request-timeout', 'PP_HTTP_REQUEST_TIMEOUT', String(HTTP_LIMITS.requestTimeoutMs / 1000))!,
        1,
        3600,
      ),
    txPerSecond: whole(
      'tx-rate',
      str('tx-rate', 'PP_TX_RATE', String(HTTP_LIMITS.txPerSecond))!,
      1,
      1_000_000,
    ),
    trustedProxies: new Set(trustedProxies),
  }
  if (httpLimits.headersTimeoutMs > httpLimits.requestTimeoutMs)
    fail('--http-header-timeout cannot be longer than --http-request-timeout')
  const faucetNetworkLimit = whole(
    'faucet-network-limit',
    str('faucet-network-limit', 'PP_FAUCET_NETWORK_LIMIT', '5')!,
    1,
    1_000_000,
  )
  const genesisFile = str('genesis', 'PP_GENESIS')
  const producerKeyFile = str('producer-key', 'PP_PRODUCER_KEY')
  const faucetKeyFile = str('faucet-key', 'PP_FAUCET_KEY')
  const epochLength = str('epoch-length', 'PP_EPOCH_LENGTH')
  const faucetGrant = str('faucet-grant', 'PP_FAUCET_GRANT')
  const logFormat = str('log-format', 'PP_LOG_FORMAT', 'text')
  const webrtcPort = str('webrtc-port', 'PP_WEBRTC_PORT', '4003')!
  const keepEpochs = str('keep-epochs', 'PP_KEEP_EPOCHS', 'all')!
  const checkpoint = str('checkpoint', 'PP_CHECKPOINT')
  if (checkpoint !== undefined && checkpoint !== 'headers') {
    try {
      parseCheckpoint(checkpoint)
    } catch (err) {
      fail(`--${(err as Error).message}`)
    }
  }
  const [tlsCert, tlsKey] = [str('tls-cert', 'PP_TLS_CERT'), str('tls-key', 'PP_TLS_KEY')]
  if ((tlsCert === undefined) !== (tlsKey === undefined)) fail('--tls-cert and --tls-key go together')
  const tls =
    tlsCert && tlsKey ? { cert: readPem(tlsCert, 'tls-cert'), key: readPem(tlsKey, 'tls-key') } : undefined
  if (logFormat !== 'text' && logFormat !== 'json')
    fail(`--log-format must be "text" or "json", got "${logFormat}"`)
  if (faucetGrant !== undefined && !/^[1-9]\d{0,19}$/.test(faucetGrant))
    fail(`--faucet-grant must be a whole number of coins ≥ 1, got "${faucetGrant}"`)
  return {
    dataDir: str('data-dir', 'PP_DATA_DIR', './.pp-data')!,
    ...(genesisFile && { genesisFile }),
    ...(producerKeyFile && { producerKeyFile }),
    ...(faucetKeyFile && { faucetKeyFile }),
    ...(faucetGrant && { faucetGrant: BigInt(faucetGrant) }),
    faucetNetworkLimit,
    httpLimits,
    host: str('host', 'PP_HOST', '127.0.0.1')!,
    allowPrivate: v['allow-private'] === true || env.PP_ALLOW_PRIVATE === '1',
    tcpPort: whole('tcp-port', str('tcp-port', 'PP_TCP_PORT', '4001')!, 0, 65535),
    wsPort: whole('ws-port', str('ws-port', 'PP_WS_PORT', '4002')!, 0, 65535),
    ...(webrtcPort !== 'off' && { webrtcPort: whole('webrtc-port', webrtcPort, 0, 65535) }),
    httpPort: whole('http-port', str('http-port', 'PP_HTTP_PORT', '8080')!, 0, 65535),
    bootstrapPeers: bootstrap,
    ...(announce.length > 0 && { announce }),
    maxPeers: whole('max-peers', str('max-peers', 'PP_MAX_PEERS', '200')!, 1, 100_000),
    ...(keepEpochs !== 'all' && { keepEpochs: whole('keep-epochs', keepEpochs, 1, 1_000_000) }),
    ...(checkpoint && { checkpoint }),
    reset: v.reset === true,
    devnet: {
      slotMs: whole('slot-ms', str('slot-ms', 'PP_SLOT_MS', '1000')!, 50, 3_600_000),
      ...(epochLength && { epochLength: whole('epoch-length', epochLength, 1, 1_000_000) }),
    },
    staticDir: fileURLToPath(new URL('../dist/', import.meta.url)),
    logFormat,
    ...(tls && { tls }),
  }
}

/** A PEM file's text, or a one-line failure naming the flag. */
function readPem(path: string, flag: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    fail(`--${flag} ${path}: ${(err as Error).message}`)
  }
  if (!text.includes('-----BEGIN')) fail(`--${flag} ${path} is not a PEM file`)
  return text
}

const short = (hex: string): string => hex.slice(0, 12)

async function main(): Promise<void> {
  // A closed stdout (the terminal or pipe went away) must not take the node down with it.
  process.stdout.on('error', () => {})
  const parsed = parseOptions()
  if (parsed === undefined) return
  const { logFormat, ...options } = parsed
  const log = createRelayLog(logFormat)
  let started = (): void => {}
  const beforeStart = (node: PPNode): void => {
    started = reportStart(node, log)
  }
  const relay = await startRelayNode({ ...options, beforeStart }).catch((err: Error & { code?: string }) => {
    const inUse = /EADDRINUSE.*?(\d+\.\d+\.\d+\.\d+:\d+)/s.exec(err.message)
    log.error(
      `pp-node: ${inUse ? `address ${inUse[1]} is already in use (another relay running? pick other ports)` : err.message}`,
    )
    process.exit(err.code === 'CONFIG_INVALID' ? 2 : 1)
  })
  started()
  const { node } = relay
  const state = node.getState()
  log.info(
    `pp-node ${VERSION} relay for chain ${state.chainId} (${node.genesis.mode}), tip ${state.tip.index} ${short(state.tip.hash)}`,
    { version: VERSION, chainId: state.chainId, tip: state.tip },
  )
  log.info(`  data dir   ${options.dataDir}`, { dataDir: options.dataDir })
  // With --announce, libp2p tells peers the announced addresses only: those are what matter.
  const label = options.announce ? 'announcing' : 'listening '
  for (const addr of relay.multiaddrs()) log.info(`  ${label} ${addr}`, { [label.trim()]: addr })
  log.info(`  http       ${relay.httpUrl}  (demo page, /status, /health, /metrics)`, { http: relay.httpUrl })
  if (state.producer)
    log.info(`  producing  as ${state.producer.address}`, { producer: state.producer.address })
  node.addEventListener('block:added', ({ detail: { block, produced } }) => {
    const h = block.header
    log.info(
      `block ${h.index} slot ${h.slot} ${short(toHex(block.hash))} by ${short(addressOf(h.issuer))} ${block.txs.length} tx${produced ? ' (produced)' : ''}`,
      {
        event: 'block',
        index: h.index,
        slot: h.slot,
        hash: toHex(block.hash),
        txs: block.txs.length,
        produced,
      },
    )
  })
  node.addEventListener('block:rejected', ({ detail }) =>
    log.warn(
      `rejected block ${detail.index} ${short(detail.hash)}: ${detail.error.code} ${detail.error.message}`,
      {
        event: 'block-rejected',
        index: detail.index,
        hash: detail.hash,
        code: detail.error.code,
        ...(detail.from && { from: detail.from }),
      },
    ),
  )
  node.addEventListener('chain:reorg', ({ detail }) =>
    log.info(
      `reorg: rolled back ${detail.depth} block(s), new tip ${detail.toIndex} ${short(detail.toHash)}`,
      {
        event: 'reorg',
        ...detail,
      },
    ),
  )
  node.addEventListener('peer:connect', ({ detail: { peer } }) =>
    log.info(`peer joined ${peer.id} over ${peer.transport} (${peer.direction})`, {
      event: 'peer-joined',
      ...peer,
    }),
  )
  node.addEventListener('peer:disconnect', ({ detail }) =>
    log.info(`peer left ${detail.id}`, { event: 'peer-left', id: detail.id }),
  )
  node.addEventListener('error', ({ detail }) => log.error(`error: ${detail.error.message}`))
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) process.exit(130)
    stopping = true
    log.info(`${signal}: stopping (again to force)`)
    relay.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error(`pp-node: stop failed: ${err.message}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

if (['keygen', 'balance', 'send'].includes(process.argv[2] ?? '')) {
  process.exitCode = await runWallet(process.argv.slice(2))
} else {
  await main()
}
