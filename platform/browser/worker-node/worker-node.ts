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
import { WorkerUnavailableError } from '../errors.ts'
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

/** joinRelay's options, and where the worker's script is. */
export interface WorkerJoinOptions extends JoinRelayOptions {
  /** URL of pp-node-worker.min.js (default: beside the script that loaded this code). */
  workerUrl?: string | URL
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
export class WorkerNode extends TypedEventEmitter<PPNodeEvents> {
  readonly genesis: Genesis
  private mirror: NodeMirror | undefined
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private nextCall = 1
  private readonly worker: Worker
  private readonly closeRtc: () => void

  constructor(worker: Worker, closeRtc: () => void, ready: Extract<NodeToPage, { type: 'ready' }>) {
    super()
    this.worker = worker
    this.closeRtc = closeRtc
    this.genesis = ready.genesis
    worker.onmessage = ({ data }: MessageEvent<NodeToPage>) => this.receive(data)
  }

  /** Adds a listener; the worker sends this event's kind from now on. */
  override addEventListener<K extends keyof PPNodeEvents>(
    type: K,
    listener: EventHandler<PPNodeEvents[K]> | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener, options)
    this.tellListened()
  }

  /** Removes a listener; with none left, the worker stops sending that event's kind. */
  override removeEventListener<K extends keyof PPNodeEvents>(
    type: K,
    listener?: EventHandler<PPNodeEvents[K]>,
    options?: boolean | EventListenerOptions,
  ): void {
    super.removeEventListener(type, listener, options)
    this.tellListened()
  }

  /** Starts the node: storage, network, slot clock. */
  start(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.call('start', [], options.signal) as Promise<void>
  }

  /** Stops the node and ends its worker (after STOP_GRACE_MS at most: a stuck worker is ended anyway). */
  async stop(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await Promise.race([
        this.call('stop', []),
        new Promise((resolve) => {
          timer = setTimeout(resolve, STOP_GRACE_MS)
        }),
      ])
    } finally {
      clearTimeout(timer)
      this.worker.terminate()
      this.closeRtc()
      for (const { reject } of this.pending.values()) reject(new PPError('NODE_STOPPED', 'the node stopped'))
      this.pending.clear()
    }
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

  /** Up to `count` blocks of the best chain from index `from` (transactions decoded when read). */
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

  private tellListened(): void {
    const events = NODE_EVENTS.filter((type) => this.listenerCount(type) > 0)
    this.worker.postMessage({ type: 'listen', events } satisfies PageToNode)
  }

  /** Calls `method` in the worker; when `signal` fires, the worker's call gets an aborted signal too. */
  private async call(method: NodeMethod, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    signal?.throwIfAborted()
    const call = this.nextCall++
    const abort = () => {
      const reason = signal?.reason instanceof Error ? signal.reason.message : String(signal?.reason)
      this.worker.postMessage({ type: 'abort', call, reason } satisfies PageToNode)
    }
    signal?.addEventListener('abort', abort, { once: true })
    try {
      return await new Promise((resolve, reject) => {
        this.pending.set(call, { resolve, reject })
        this.worker.postMessage({ type: 'call', call, method, args } satisfies PageToNode)
      })
    } catch (err) {
      throw signal?.aborted ? signal.reason : err
    } finally {
      signal?.removeEventListener('abort', abort)
    }
  }

  private receive(message: NodeToPage): void {
    if (message.type !== 'ready' && message.type !== 'failed') this.mirror = message.mirror
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
 * Like joinRelay, with the node in a dedicated worker: storage, crypto, sync and libp2p run off
 * the page's main thread; the page keeps the WebRTC connections (workers have none) for it.
 */
export async function joinRelayInWorker(options: WorkerJoinOptions = {}): Promise<WorkerNode> {
  const { workerUrl, onClock, ...join } = options
  const page = globalThis.location?.href
  const absolute = (r: string) => (r.startsWith('/') ? r : new URL(r, page).href.replace(/\/$/, ''))
  const worker = spawn(new URL(workerUrl ?? WORKER_SCRIPT, SCRIPT_BASE))
  const rtc = new MessageChannel()
  const closeRtc = serveRtc(rtc.port1)
  const ready = new Promise<Extract<NodeToPage, { type: 'ready' }>>((resolve, reject) => {
    worker.onerror = (event) => {
      event.preventDefault()
      reject(
        new WorkerUnavailableError(`the node's worker failed to load: ${event.message || 'script error'}`),
      )
    }
    worker.onmessage = ({ data }: MessageEvent<NodeToPage>) => {
      if (data.type === 'ready') resolve(data)
      else if (data.type === 'failed') reject(rebuild(data.error))
    }
  })
  const message: PageToNode = {
    type: 'join',
    options: {
      ...join,
      relays: (join.relays ?? [join.relay ?? globalThis.location?.origin ?? '']).map(absolute),
      securePage: join.securePage ?? SECURE_PAGE,
    },
    rtc: rtc.port2,
  }
  worker.postMessage(message, [rtc.port2])
  try {
    const joined = await ready
    if (joined.clock) onClock?.(joined.clock)
    const node = new WorkerNode(worker, closeRtc, joined)
    worker.onerror = (event) =>
      node.safeDispatchEvent('error', { detail: { error: new Error(event.message) } })
    return node
  } catch (err) {
    worker.terminate()
    closeRtc()
    throw err
  }
}
