// A node in a dedicated worker, seen from the page: the same events and methods as PPNode (those
// that read the node's data return promises), while the page's main thread only relays WebRTC.
import { type EventHandler, TypedEventEmitter } from 'main-event'
import { NodeNotRunningError, PPError } from '../../../src/errors.ts'
import type { Genesis } from '../../../src/genesis.ts'
import type { Account } from '../../../src/ledger/account-layers.ts'
import type { Block } from '../../../src/ledger/block.ts'
import type { Transaction } from '../../../src/ledger/transaction.ts'
import type { PeerInfo } from '../../../src/net/network-components.ts'
import type { NodeStatus, PPNodeEvents } from '../../../src/node-api.ts'
import { WorkerTimeoutError, WorkerUnavailableError } from '../errors.ts'
import type { JoinRelayOptions } from '../join-relay.ts'
import { SECURE_PAGE } from '../relay-api.ts'
import { serveRtc } from '../rtc-proxy/page-rtc.ts'
import { type CrossingBlock, landedBlock } from './lazy-block.ts'
import {
  type ErrorShape,
  NODE_EVENTS,
  type NodeMethod,
  type NodeMirror,
  type NodeToPage,
  type PageToNode,
} from './messages.ts'

/** Where this script came from: the worker's script sits beside it unless told otherwise. */
export const SCRIPT_BASE =
  (globalThis.document?.currentScript as HTMLScriptElement | null)?.src || globalThis.location?.href

/**
 * How long stop() waits for the node to close its stores and connections before it ends the
 * worker anyway (each store write is one atomic batch: ending mid-way loses no committed block).
 */
const STOP_GRACE_MS = 10_000

/** The worker's script file, beside the page's bundle. */
const WORKER_SCRIPT = 'pp-node-worker.min.js'

/** How long a call to the worker waits for its answer by default. */
const CALL_TIMEOUT_MS = 20_000

/** How long the worker may take to join (load, reach the relay) and its node to start. */
const START_TIMEOUT_MS = 60_000
/**
 * A worker whose script has not run this long is ended and another started, twice at most: Firefox
 * now and then starts a worker whose script never runs (1–2 runs in 20 of a test starting workers).
 */
const LOAD_TIMEOUT_MS = 15_000
/** Workers started at most for one launch. */
const LOAD_TRIES = 3

/** joinRelay's options, and where the worker's script is. */
export interface WorkerJoinOptions extends JoinRelayOptions {
  /** URL of pp-node-worker.min.js (default: beside the script that loaded this code). */
  workerUrl?: string | URL
  /**
   * How long a call waits for the worker's answer before it rejects with WorkerTimeoutError, and how
   * long the worker may be silent before `worker:unresponsive` (default 20 s; joining and start() get 60 s).
   */
  callTimeoutMs?: number
  /** A worker whose script has not run this long is ended and another started, twice at most (default 15 s). */
  loadTimeoutMs?: number
}

/** The page handle's events: the node's, and `worker:unresponsive` when its worker falls silent. */
export interface WorkerNodeEvents extends PPNodeEvents {
  /** The worker sent nothing (it sends its state every second) for `silentMs`: hung or lost; `restart()` it. */
  'worker:unresponsive': CustomEvent<{ silentMs: number }>
}

/** A worker whose node joined, with its WebRTC port served. */
interface Launched {
  worker: Worker
  closeRtc: () => void
  joined: Extract<NodeToPage, { type: 'ready' }>
}

/** The error a worker reported, as a PPError with its code and class name. */
function rebuild(shape: ErrorShape): Error {
  const error = new PPError(shape.code ?? 'WORKER_ERROR', shape.message)
  error.name = shape.name
  return error
}

/** A worker from `url`; another origin's script is loaded by a one-line worker of this origin. */
function spawn(url: URL): Worker {
  if (typeof Worker === 'undefined') throw new WorkerUnavailableError('this environment has no Worker')
  try {
    if (url.origin === globalThis.location?.origin) return new Worker(url)
    const loader = new Blob([`importScripts(${JSON.stringify(url.href)})`], { type: 'text/javascript' })
    return new Worker(URL.createObjectURL(loader))
  } catch (err) {
    throw new WorkerUnavailableError(`cannot start a worker from ${url.href}: ${(err as Error).message}`)
  }
}

/** An event's detail as the page's listeners get it: the error rebuilt, the block landed. */
function landed(detail: unknown): unknown {
  const { error, block } = (detail ?? {}) as { error?: ErrorShape; block?: CrossingBlock }
  if (error !== undefined) return { ...(detail as object), error: rebuild(error) }
  if (block !== undefined) return { ...(detail as object), block: landedBlock(block) }
  return detail
}

/** The page's handle on a node that runs in a dedicated worker. */
export class WorkerNode extends TypedEventEmitter<WorkerNodeEvents> {
  readonly genesis: Genesis
  private mirror: NodeMirror | undefined
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private nextCall = 1
  private worker: Worker
  private closeRtc: () => void
  private readonly relaunch: () => Promise<Launched>
  private readonly timeoutMs: number
  /** When the worker last sent anything (page clock), and whether its silence was reported. */
  private heard = performance.now()
  private silent = false
  private watchdog: ReturnType<typeof setInterval>

  constructor(launched: Launched, relaunch: () => Promise<Launched>, timeoutMs: number) {
    super()
    this.worker = launched.worker
    this.closeRtc = launched.closeRtc
    this.relaunch = relaunch
    this.timeoutMs = timeoutMs
    this.genesis = launched.joined.genesis
    this.attach()
    this.watchdog = setInterval(() => this.watch(), 1000)
  }

  /** Adds a listener; the worker sends this event's kind from now on. */
  override addEventListener<K extends keyof WorkerNodeEvents>(
    type: K,
    listener: EventHandler<WorkerNodeEvents[K]> | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener, options)
    this.tellListened()
  }

  /** Removes a listener; with none left, the worker stops sending that event's kind. */
  override removeEventListener<K extends keyof WorkerNodeEvents>(
    type: K,
    listener?: EventHandler<WorkerNodeEvents[K]>,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener, options)
    this.tellListened()
  }

  /** Starts the node: storage, network, slot clock. */
  start(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.call('start', [], options.signal, START_TIMEOUT_MS) as Promise<void>
  }

  /**
   * Stops the node and ends its worker (after STOP_GRACE_MS at most, at once if the worker fell
   * silent: a stuck worker is ended anyway).
   */
  async stop(): Promise<void> {
    clearInterval(this.watchdog)
    try {
      if (!this.silent) {
        await this.call('stop', [], undefined, STOP_GRACE_MS).catch((err: Error) => {
          if (!(err instanceof WorkerTimeoutError)) throw err
        })
      }
    } finally {
      this.end()
    }
  }

  /**
   * Ends the node's worker without waiting for it (calls under way reject with NODE_STOPPED), starts a
   * new one with the same options and starts its node: the way out of a hung worker. Its stores
   * keep what the old one committed.
   */
  async restart(options: { signal?: AbortSignal } = {}): Promise<void> {
    clearInterval(this.watchdog)
    this.end()
    const launched = await this.relaunch()
    this.worker = launched.worker
    this.closeRtc = launched.closeRtc
    this.attach()
    this.tellListened()
    this.heard = performance.now()
    this.silent = false
    this.watchdog = setInterval(() => this.watch(), 1000)
    await this.start(options)
  }

  /** Submits a signed transaction to the node's mempool and the network. */
  submitTransaction(tx: Transaction, options: { signal?: AbortSignal } = {}): Promise<{ hash: string }> {
    return this.call('submitTransaction', [tx], options.signal) as Promise<{ hash: string }>
  }

  /** The account at `address` on the node's best chain. */
  getAccount(address: string): Promise<Account> {
    return this.call('getAccount', [address]) as Promise<Account>
  }

  /** The nonce the next transaction from `address` needs (counting the mempool's). */
  nextNonce(address: string): Promise<number> {
    return this.call('nextNonce', [address]) as Promise<number>
  }

  /**
   * The blocks of the best chain from index `from` to `from + count - 1` that the node keeps (none
   * below its history horizon), transactions decoded when read.
   */
  async getBlocks(from: number, count: number): Promise<Block[]> {
    return ((await this.call('getBlocks', [from, count])) as CrossingBlock[]).map(landedBlock)
  }

  /** The node's status as of its last event (answered on the page, at once). */
  getState(): NodeStatus {
    if (this.mirror === undefined) throw new NodeNotRunningError('getState')
    return this.mirror.state
  }

  /** The node's libp2p peer id, once it runs. */
  get peerId(): string | undefined {
    return this.mirror?.peerId
  }

  /** The node's peers as of its last event. */
  getPeers(): PeerInfo[] {
    return this.mirror?.peers ?? []
  }

  /** Ends the worker and its WebRTC connections; calls under way reject. */
  private end(): void {
    this.worker.terminate()
    this.closeRtc()
    this.mirror = undefined
    for (const { reject } of this.pending.values()) reject(new PPError('NODE_STOPPED', 'the node stopped'))
    this.pending.clear()
  }

  private attach(): void {
    this.worker.onmessage = ({ data }: MessageEvent<NodeToPage>) => this.receive(data)
    this.worker.onerror = (event) =>
      this.safeDispatchEvent('error', { detail: { error: new Error(event.message) } })
  }

  /** Reports the worker once when it has sent nothing for the call deadline (it sends every second). */
  private watch(): void {
    const silentMs = Math.round(performance.now() - this.heard)
    if (this.silent || silentMs < this.timeoutMs) return
    this.silent = true
    this.safeDispatchEvent('worker:unresponsive', { detail: { silentMs } })
  }

  private tellListened(): void {
    const events = NODE_EVENTS.filter((type) => this.listenerCount(type) > 0)
    this.worker.postMessage({ type: 'listen', events } satisfies PageToNode)
  }

  /**
   * Calls `method` in the worker; when `signal` fires, the worker's call gets an aborted signal too.
   * With no answer within `timeoutMs`, rejects with WorkerTimeoutError (and aborts the worker's call).
   */
  private async call(
    method: NodeMethod,
    args: unknown[],
    signal?: AbortSignal,
    timeoutMs = this.timeoutMs,
  ): Promise<unknown> {
    signal?.throwIfAborted()
    const call = this.nextCall++
    const worker = this.worker
    const abort = (reason: string) => worker.postMessage({ type: 'abort', call, reason } satisfies PageToNode)
    const onAbort = () =>
      abort(signal?.reason instanceof Error ? signal.reason.message : String(signal?.reason))
    signal?.addEventListener('abort', onAbort, { once: true })
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      return await new Promise((resolve, reject) => {
        this.pending.set(call, { resolve, reject })
        timer = setTimeout(() => {
          this.pending.delete(call)
          abort(`no answer within ${timeoutMs} ms`)
          reject(new WorkerTimeoutError(method, timeoutMs))
        }, timeoutMs)
        worker.postMessage({ type: 'call', call, method, args } satisfies PageToNode)
      })
    } catch (err) {
      throw signal?.aborted ? signal.reason : err
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  private receive(message: NodeToPage): void {
    this.heard = performance.now()
    this.silent = false
    if (message.type === 'result' || message.type === 'events') this.mirror = message.mirror
    if (message.type === 'result') {
      const pending = this.pending.get(message.call)
      this.pending.delete(message.call)
      if (message.error) pending?.reject(rebuild(message.error))
      else pending?.resolve(message.value)
    } else if (message.type === 'events') {
      for (const { type, detail } of message.events) this.safeDispatchEvent(type, { detail: landed(detail) })
    }
  }
}

/**
 * Starts a worker for the node (another when its script has not run in `loadTimeoutMs`: see LOAD_TIMEOUT_MS), serves
 * its WebRTC and has it join; rejects when it fails or has not joined within `timeoutMs`, saying
 * how far it got, with the worker ended.
 */
async function launch(
  workerUrl: string | URL | undefined,
  join: JoinRelayOptions,
  timeoutMs: number,
  loadTimeoutMs: number,
): Promise<Launched> {
  const page = globalThis.location?.href
  const absolute = (r: string) => (r.startsWith('/') ? r : new URL(r, page).href.replace(/\/$/, ''))
  const options = {
    ...join,
    relays: (join.relays ?? [join.relay ?? globalThis.location?.origin ?? '']).map(absolute),
    securePage: join.securePage ?? SECURE_PAGE,
  }
  const deadline = performance.now() + timeoutMs
  for (let tries = 1; ; tries++) {
    const worker = spawn(new URL(workerUrl ?? WORKER_SCRIPT, SCRIPT_BASE))
    let closeRtc = () => {}
    let timer: ReturnType<typeof setTimeout> | undefined
    let loaded = false
    try {
      const joined = await new Promise<Extract<NodeToPage, { type: 'ready' }>>((resolve, reject) => {
        const wait = Math.min(deadline - performance.now(), loadTimeoutMs)
        timer = setTimeout(() => reject(new WorkerTimeoutError('join', timeoutMs)), wait)
        worker.onerror = (event) => {
          event.preventDefault()
          reject(
            new WorkerUnavailableError(
              `the node's worker failed to load: ${event.message || 'script error'}`,
            ),
          )
        }
        worker.onmessage = ({ data }: MessageEvent<NodeToPage>) => {
          if (data.type === 'loaded') {
            loaded = true
            clearTimeout(timer)
            timer = setTimeout(
              () => reject(new WorkerTimeoutError('join', timeoutMs)),
              deadline - performance.now(),
            )
            const rtc = new MessageChannel()
            closeRtc = serveRtc(rtc.port1)
            worker.postMessage({ type: 'join', options, rtc: rtc.port2 } satisfies PageToNode, [rtc.port2])
          } else if (data.type === 'ready') resolve(data)
          else if (data.type === 'failed') reject(rebuild(data.error))
        }
      })
      return { worker, closeRtc, joined }
    } catch (err) {
      worker.terminate()
      closeRtc()
      const retry = !loaded && err instanceof WorkerTimeoutError && tries < LOAD_TRIES
      if (retry && performance.now() < deadline) continue
      if (err instanceof WorkerTimeoutError)
        err.message += loaded
          ? ' (its script ran; joining the relays did not finish)'
          : ` (its script never ran, in ${tries} worker${tries === 1 ? '' : 's'})`
      throw err
    } finally {
      clearTimeout(timer)
    }
  }
}

/**
 * Like joinRelay, with the node in a dedicated worker: storage, crypto, sync and libp2p run off
 * the page's main thread; the page keeps the WebRTC connections (workers have none) for it.
 */
export async function joinRelayInWorker(options: WorkerJoinOptions = {}): Promise<WorkerNode> {
  const {
    workerUrl,
    onClock,
    callTimeoutMs = CALL_TIMEOUT_MS,
    loadTimeoutMs = LOAD_TIMEOUT_MS,
    ...join
  } = options
  const relaunch = () => launch(workerUrl, join, START_TIMEOUT_MS, loadTimeoutMs)
  const launched = await relaunch()
  if (launched.joined.clock) onClock?.(launched.joined.clock)
  return new WorkerNode(launched, relaunch, callTimeoutMs)
}
