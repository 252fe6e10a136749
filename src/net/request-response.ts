import type { Logger, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import { decodeCbor, encodeCbor } from '../encoding/cbor.ts'
import { DecodeError, HistoryPrunedError } from '../errors.ts'
import {
  MessageTooLargeError,
  PeerUnreachableError,
  RequestRefusedError,
  RequestTimeoutError,
  RequestTooSlowError,
} from './errors.ts'

/** Default time a whole request/response exchange may take. */
const DEFAULT_TIMEOUT_MS = 15_000
const OK = 0
const REFUSED = 1
/** Refused because the history asked for is pruned: the payload is the lowest block the peer has (CBOR). */
const PRUNED = 2
const MAX_ERROR_BYTES = 512

/** How a protocol is served. */
export interface ServeOptions {
  maxRequestBytes: number
  maxResponseBytes: number
  /** How long a peer may take to send its whole request. */
  timeoutMs: number
  handler: (request: Uint8Array, peer: PeerId) => Promise<Uint8Array>
  /** Told when a peer sends an oversized or malformed request, or stalls. */
  onMisbehaviour?: (peer: PeerId, reason: string) => void
  /** Where failed answers are logged. */
  log: Logger
}

function frame(status: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1)
  out[0] = status
  out.set(payload, 1)
  return out
}

/**
 * Serves one request per stream: a length-prefixed request in, a length-prefixed response out
 * (status byte, then payload or error text). Size limits apply before anything is decoded; a
 * failing handler answers with its error message instead of crashing. Only direct connections:
 * relayed circuits are limited (circuit relay v2) and reserved for WebRTC signalling.
 * Returns a function that unregisters the protocol.
 */
export function serveRequests(libp2p: Libp2p, protocol: string, options: ServeOptions): () => Promise<void> {
  const handle = async (stream: Stream, peer: PeerId): Promise<void> => {
    const signal = AbortSignal.timeout(options.timeoutMs)
    const lp = lpStream(stream, { maxDataLength: options.maxRequestBytes })
    let request: Uint8Array
    try {
      request = (await lp.read({ signal })).subarray()
    } catch (err) {
      const reason = signal.aborted ? 'request timed out' : `bad request: ${(err as Error).message}`
      options.onMisbehaviour?.(peer, `${protocol}: ${reason}`)
      stream.abort(err as Error)
      return
    }
    let response: Uint8Array
    try {
      response = frame(OK, await options.handler(request, peer))
      if (response.length > options.maxResponseBytes)
        throw new MessageTooLargeError('response over the size limit')
    } catch (err) {
      const message = new TextEncoder().encode((err as Error).message).subarray(0, MAX_ERROR_BYTES)
      response =
        err instanceof HistoryPrunedError ? frame(PRUNED, encodeCbor(err.horizon)) : frame(REFUSED, message)
      if ((err as { code?: string }).code === 'DECODE_FAILED')
        options.onMisbehaviour?.(peer, `${protocol}: ${(err as Error).message}`)
    }
    try {
      await lp.write(response, { signal })
      await stream.close({ signal })
    } catch (err) {
      options.log('%s: answering %s failed: %s', protocol, peer, (err as Error).message)
      stream.abort(err as Error)
    }
  }
  void libp2p.handle(protocol, (stream, connection) => handle(stream, connection.remotePeer), {
    maxInboundStreams: 64,
  })
  return () => libp2p.unhandle(protocol)
}

/** Sends one request and returns the response payload; typed errors for timeouts, limits, refusals and failures. */
export async function sendRequest(
  libp2p: Libp2p,
  peer: PeerId | Multiaddr,
  protocol: string,
  request: Uint8Array,
  options: { maxResponseBytes: number; signal?: AbortSignal; timeoutMs?: number; minRate?: MinRate },
): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  const slow = new AbortController()
  const signal = AbortSignal.any([timeout, slow.signal, ...(options.signal ? [options.signal] : [])])
  let stream: Stream
  try {
    stream = await libp2p.dialProtocol(peer, protocol, { signal })
  } catch (err) {
    if (timeout.aborted) throw new RequestTimeoutError(`${protocol}: no stream to ${peer} in time`)
    throw new PeerUnreachableError(
      `${protocol}: cannot open a stream to ${peer}: ${(err as Error).message}`,
      { cause: err },
    )
  }
  const lp = lpStream(stream, { maxDataLength: options.maxResponseBytes + 1 })
  const unwatch = options.minRate ? watchRate(stream, options.minRate, () => slow.abort()) : () => {}
  let reply: Uint8Array
  try {
    await lp.write(request, { signal })
    reply = (await lp.read({ signal })).subarray()
    await stream.close({ signal }).catch(() => {})
  } catch (err) {
    stream.abort(err as Error)
    if (timeout.aborted) throw new RequestTimeoutError(`${protocol}: ${peer} did not answer in time`)
    if (slow.signal.aborted)
      throw new RequestTooSlowError(
        `${protocol}: ${peer} sent too little too slowly (under the minimum rate)`,
      )
    if ((err as Error).name === 'InvalidDataLengthError') {
      throw new MessageTooLargeError(
        `${protocol}: ${peer}'s response is over ${options.maxResponseBytes} bytes`,
      )
    }
    throw new PeerUnreachableError(`${protocol}: exchange with ${peer} failed: ${(err as Error).message}`, {
      cause: err,
    })
  } finally {
    unwatch()
  }
  if (reply[0] === OK) return reply.subarray(1)
  if (reply[0] === PRUNED) {
    const horizon = decodeCbor(reply.subarray(1), 16, 'pruned history horizon')
    if (typeof horizon !== 'number' || !Number.isSafeInteger(horizon) || horizon < 1)
      throw new DecodeError(`${protocol}: ${peer} sent a malformed pruned-history answer`)
    throw new HistoryPrunedError(horizon, `${protocol}: ${peer} keeps no blocks below ${horizon}`)
  }
  throw new RequestRefusedError(
    `${protocol}: ${peer} refused: ${new TextDecoder().decode(reply.subarray(1))}`,
  )
}

/** A minimum answer rate: the first bytes within `graceMs`, then on average at least `bytesPerSecond`. */
export interface MinRate {
  graceMs: number
  bytesPerSecond: number
}

/**
 * Calls `tooSlow` once the bytes received on `stream` fall behind the minimum rate: each byte buys
 * the peer 1/rate seconds beyond the grace, so a trickle is cut off long before the request's deadline.
 * Returns a function that stops watching.
 */
function watchRate(stream: Stream, rate: MinRate, tooSlow: () => void): () => void {
  const started = Date.now()
  let received = 0
  const onMessage = (event: { data: { byteLength: number } }): void => {
    received += event.data.byteLength
  }
  const deadline = (): number => started + rate.graceMs + (received * 1000) / rate.bytesPerSecond
  let timer: ReturnType<typeof setTimeout>
  const check = (): void => {
    const left = deadline() - Date.now()
    if (left <= 0) tooSlow()
    else timer = setTimeout(check, left)
  }
  stream.addEventListener('message', onMessage)
  timer = setTimeout(check, rate.graceMs)
  return () => {
    clearTimeout(timer)
    stream.removeEventListener('message', onMessage)
  }
}
