import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { extname, join } from 'node:path'
import { fromHex, toHex } from '../src/encoding/hash.ts'
import { PPError } from '../src/errors.ts'
import { genesisHash, genesisToJson } from '../src/genesis.ts'
import { provenAccountToJson } from '../src/ledger/account-proof-json.ts'
import { blockToJson, txFromJson, txToJson } from '../src/ledger/json.ts'
import type { PPNode } from '../src/node.ts'
import { RateLimiter } from '../src/rate-limiter.ts'
import { clientAddressOf, clientNetworkOf } from './client-address.ts'
import { limitConnectionsPerNetwork } from './connection-limit.ts'
import { HttpError, RequestRateLimitError } from './errors.ts'
import type { Faucet } from './faucet.ts'
import type { HealthCheck } from './health.ts'
import { httpStatusOf } from './http-status.ts'
import type { RelayMetrics } from './metrics.ts'

/** Largest request body accepted. */
const MAX_BODY_BYTES = 16 * 1024
/** Most blocks one `GET /blocks` returns. */
export const MAX_BLOCKS_PER_PAGE = 100

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
}

/** What the HTTP API serves from. */
export interface HttpApiOptions {
  node: PPNode
  /** The relay's own multiaddrs (for `GET /bootstrap` and the pages). */
  bootstrapAddrs: () => string[]
  metrics: RelayMetrics
  health: HealthCheck
  /** The running version, reported by `GET /status`. */
  version: string
  faucet?: Faucet
  /** Directory with index.html, embed.html and the browser bundles. */
  staticDir: string
  /** What one client may hold or send; `HTTP_LIMITS` by default. */
  limits?: HttpLimits
}

/** Bounds on what clients of the HTTP API may hold open or send. */
export interface HttpLimits {
  /** Open connections in all. */
  maxConnections: number
  /** Open connections from one client network (/24, /64). */
  connectionsPerNetwork: number
  /** Deadline for a request's headers, from the moment the connection opens or the previous request ends. */
  headersTimeoutMs: number
  /** Deadline for a whole request, headers and body. */
  requestTimeoutMs: number
  /** `POST /tx` per second from one client network, in bursts of up to twice that. */
  txPerSecond: number
  /** Reverse proxies whose `X-Forwarded-For` names the client (their own address then is not the client's). */
  trustedProxies: ReadonlySet<string>
}

/** Defaults for a public relay: generous for people and apps, not for one host holding the server. */
export const HTTP_LIMITS: HttpLimits = {
  maxConnections: 1024,
  connectionsPerNetwork: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  txPerSecond: 20,
  trustedProxies: new Set(),
}

/**
 * True when a request comes from a page served by this host, or has no Origin: browsers send one
 * with every POST, so that is a script (curl, the wallet), served under the same per-address,
 * per-IP and per-network limits as the demo page: hiding its Origin gains it nothing.
 */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  if (origin === undefined) return true
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(text)
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, 'BODY_TOO_LARGE', `request body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'request body is not valid JSON')
  }
}

function intParam(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name)
  if (raw === null) return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 0)
    throw new HttpError(400, 'BAD_QUERY', `${name} must be a whole number ≥ 0`)
  return n
}

/** Serves the node to applications (submit tx, query state, get peers) as HTTP JSON, plus pages and metrics. */
export function createHttpApi(options: HttpApiOptions): Server {
  const { node, metrics } = options
  const limits = options.limits ?? HTTP_LIMITS
  const txLimit = new RateLimiter({ burst: 2 * limits.txPerSecond, intervalMs: 1000 / limits.txPerSecond })
  const routes: Array<
    [string, RegExp, (req: IncomingMessage, url: URL, match: RegExpMatchArray) => Promise<[number, unknown]>]
  > = [
    ['GET', /^\/status$/, async () => [200, status(node, options.version)]],
    [
      'GET',
      /^\/health$/,
      async () => {
        const health = options.health.report()
        return [health.healthy ? 200 : 503, health]
      },
    ],
    ['GET', /^\/bootstrap$/, async () => [200, { multiaddrs: options.bootstrapAddrs() }]],
    ['GET', /^\/genesis$/, async () => [200, genesisToJson(node.genesis)]],
    ['GET', /^\/peers$/, async () => [200, node.getPeers()]],
    [
      'GET',
      /^\/checkpoint$/,
      async () => {
        // None yet (a young chain) is an answer, not an error: a page asking logs no failed request.
        const point = node.chainStore.latestSnapshot
        if (point === undefined) return [200, { checkpoint: null }]
        return [
          200,
          { index: point.index, hash: toHex(point.hash), checkpoint: `${point.index}:${toHex(point.hash)}` },
        ]
      },
    ],
    [
      'GET',
      /^\/blocks$/,
      async (_req, url) => {
        const from = intParam(url, 'from', 1)
        const count = Math.min(intParam(url, 'count', 20), MAX_BLOCKS_PER_PAGE)
        return [200, (await node.chainStore.getBlocks(from, count)).map(blockToJson)]
      },
    ],
    [
      'GET',
      /^\/blocks\/([^/]+)$/,
      async (_req, _url, m) => {
        const hash = fromHex(m[1])
        if (hash?.length !== 32) throw new HttpError(400, 'BAD_HASH', 'a block hash is 64 hex characters')
        const block = await node.chainStore.getBlock(hash)
        if (block === undefined) throw new HttpError(404, 'NOT_FOUND', `no block ${m[1]}`)
        return [200, blockToJson(block)]
      },
    ],
    [
      'GET',
      /^\/accounts\/([^/]+)$/,
      async (_req, url, m) => {
        if (url.searchParams.get('proof') === '1')
          return [200, provenAccountToJson(node.getAccountProof(m[1]))]
        const account = node.getAccount(m[1])
        return [
          200,
          {
            address: m[1],
            balance: account.balance.toString(),
            nonce: account.nonce,
            nextNonce: node.nextNonce(m[1]),
            ...(account.vrfKey && { pool: { vrfKey: toHex(account.vrfKey) } }),
          },
        ]
      },
    ],
    [
      'POST',
      /^\/tx$/,
      async (req) => {
        // Counted before the body is read: every request costs a decode and a signature check.
        const network = clientNetworkOf(clientAddressOf(req, limits.trustedProxies))
        const waitS = Math.ceil(txLimit.wait(network) / 1000)
        if (waitS > 0)
          throw new RequestRateLimitError(
            `over ${limits.txPerSecond} transactions per second from your network; try again in ${waitS} s`,
            waitS,
          )
        txLimit.take(network)
        const tx = txFromJson(await readJson(req))
        const { hash } = await node.submitTransaction(tx)
        return [202, { hash }]
      },
    ],
    [
      'POST',
      /^\/faucet$/,
      async (req, _url) => {
        if (options.faucet === undefined)
          throw new HttpError(404, 'NO_FAUCET', 'this chain has no faucet (devnets only)')
        const body = (await readJson(req)) as { address?: unknown }
        const client = clientAddressOf(req, limits.trustedProxies)
        const tx = await options.faucet.fund(String(body?.address ?? ''), client)
        return [
          202,
          {
            hash: toHex(tx.hash),
            amount: (tx.body as { amount: bigint }).amount.toString(),
            tx: txToJson(tx),
          },
        ]
      },
    ],
    ['GET', /^\/metrics$/, async () => [200, await metrics.render()]],
  ]

  // Node answers 408 and closes a connection whose headers or request are not in by their deadline,
  // checked every second (its default, 30 s, would let a trickling client hold on that much longer).
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      // Any page may read the chain and send signed transactions; the faucet only answers its own
      // origin (the demo page), so other sites cannot make their visitors collect coins for them.
      if (url.pathname !== '/faucet') {
        res.setHeader('access-control-allow-origin', '*')
        res.setHeader('access-control-allow-headers', 'content-type')
        res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS')
      }
      if (req.method === 'OPTIONS') return void res.writeHead(204).end()
      try {
        if (req.method === 'POST' && url.pathname === '/faucet' && !sameOrigin(req))
          throw new HttpError(403, 'CROSS_ORIGIN', 'the faucet answers only pages of this relay')
        for (const [method, pattern, handler] of routes) {
          const match = url.pathname.match(pattern)
          if (match === null) continue
          if (req.method !== method)
            throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${url.pathname} takes ${method}`)
          const [code, body] = await handler(req, url, match)
          if (typeof body === 'string') {
            res.writeHead(code, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
            return void res.end(body)
          }
          return send(res, code, body)
        }
        if (req.method === 'GET') return await serveStatic(options, url.pathname, res)
        throw new HttpError(404, 'NOT_FOUND', `no route ${req.method} ${url.pathname}`)
      } catch (err) {
        const status = httpStatusOf(err)
        if (status === 503) res.setHeader('retry-after', '5')
        if (status === 429)
          res.setHeader('retry-after', String((err as { retryAfterS?: number }).retryAfterS ?? 10))
        const code = err instanceof PPError ? err.code : 'INTERNAL'
        if (status === 500) console.error('pp-node: HTTP', req.method, url.pathname, err)
        send(res, status, {
          error: { code, message: status === 500 ? 'internal error' : (err as Error).message },
        })
      }
    },
  )
  // A connection that sends nothing at all is not always reached by those checks: one silent for
  // the header deadline is closed (a trickling one is not silent, and meets the deadlines above).
  server.timeout = limits.headersTimeoutMs
  server.maxConnections = limits.maxConnections
  limitConnectionsPerNetwork(server, limits.connectionsPerNetwork, limits.trustedProxies)
  return server
}

function status(node: PPNode, version: string): unknown {
  const s = node.getState()
  return {
    version,
    chainId: s.chainId,
    /** What a page pins the chain by (joinRelay's `genesisHash`, the script tag's data-genesis-hash). */
    genesisHash: toHex(genesisHash(node.genesis)),
    slot: s.slot,
    epoch: s.epoch,
    tip: s.tip,
    peers: s.peers,
    syncing: s.syncing,
    mempool: s.mempool,
    ...(s.producer && { producer: s.producer }),
    /** The relay's clock (Unix ms), so a tab can measure how far off its own is. */
    time: Date.now(),
  }
}

async function serveStatic(options: HttpApiOptions, path: string, res: ServerResponse): Promise<void> {
  const file = path === '/' ? 'index.html' : path.slice(1)
  if (!/^[\w.-]+$/.test(file)) throw new HttpError(404, 'NOT_FOUND', `no page ${path}`)
  let body: Buffer
  try {
    body = await readFile(join(options.staticDir, file))
  } catch {
    throw new HttpError(404, 'NOT_FOUND', `no page ${path}`)
  }
  if (file.endsWith('.html')) {
    const config = JSON.stringify({ bootstrapPeers: options.bootstrapAddrs(), api: '' })
    body = Buffer.from(
      body.toString('utf8').replace('<!--pp-config-->', `<script>window.PP_CONFIG=${config}</script>`),
    )
  }
  res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' })
  res.end(body)
}
