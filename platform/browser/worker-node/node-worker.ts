// The node's dedicated worker (built as dist/pp-node-worker.min.js): the page sends `join` with the
// options of joinRelay and a port for WebRTC, then calls the node's methods; the worker sends the
// node's events back, batched, each batch with the node's state and peers.
// biome-ignore-all assist/source/organizeImports: WebRTC's stand-ins must become the worker's globals before libp2p's WebRTC transport loads
import { connectRtc } from '../rtc-proxy/worker-rtc.ts'
import type { PPNode } from '../../../src/node.ts'
import type { Block } from '../../../src/ledger/block.ts'
import { joinRelay } from '../join-relay.ts'
import type { RelayClock } from '../relay-clock.ts'
import { crossingBlock } from './lazy-block.ts'
import {
  errorShape,
  NODE_EVENTS,
  type NodeEventMessage,
  type NodeMirror,
  type NodeToPage,
  type PageToNode,
} from './messages.ts'
import { shareBytes } from './share-bytes.ts'

/** How long events gather before they go to the page in one message. */
const BATCH_MS = 16
/** Transactions (in blocks and alone) one message of events carries at most. */
const MESSAGE_WEIGHT = 500
/** The page's mirror is refreshed at least this often, events or not (a transport can change silently). */
const MIRROR_MS = 1000

const scope = globalThis as unknown as {
  postMessage(message: NodeToPage): void
  onmessage: ((event: MessageEvent<PageToNode>) => void) | null
}

/** The event detail as it crosses: errors become their shape, a block its crossing form. */
function crossing(detail: unknown): unknown {
  const { error, block } = (detail ?? {}) as { error?: unknown; block?: Block }
  if (error instanceof Error) return { ...(detail as object), error: errorShape(error) }
  if (block !== undefined) return { ...(detail as object), block: crossingBlock(block) }
  return detail
}

/** The node's state and peers for the page's mirror; none while it is stopped. */
function mirrorOf(node: PPNode): NodeMirror | undefined {
  try {
    const peerId = (node.network as { libp2p?: { peerId: { toString(): string } } } | undefined)?.libp2p
      ?.peerId
    return { state: node.getState(), peers: node.getPeers(), ...(peerId && { peerId: peerId.toString() }) }
  } catch {
    return undefined
  }
}

/** The transactions an event carries: what the page pays to receive it. */
function weightOf(detail: unknown): number {
  const { block, tx } = (detail ?? {}) as { block?: { txs: unknown[] }; tx?: unknown }
  return 1 + (block?.txs.length ?? 0) + (tx === undefined ? 0 : 1)
}

function serve(node: PPNode, clock: RelayClock | undefined): void {
  let batch: NodeEventMessage[] = []
  let weight = 0
  // Only the events the page listens to cross; a message carries at most MESSAGE_WEIGHT
  // transactions, so that the page reads each one in a short task.
  const heard = new Set<string>()
  const flush = () => {
    const events = batch
    batch = []
    weight = 0
    scope.postMessage({ type: 'events', events: shareBytes(events), mirror: mirrorOf(node) })
  }
  setInterval(() => batch.length === 0 && flush(), MIRROR_MS)
  for (const type of NODE_EVENTS)
    node.addEventListener(type, (event) => {
      if (!heard.has(type)) return
      const detail = (event as CustomEvent).detail
      const cost = weightOf(detail)
      if (batch.length > 0 && weight + cost > MESSAGE_WEIGHT) flush()
      if (batch.length === 0) setTimeout(() => batch.length > 0 && flush(), BATCH_MS)
      batch.push({ type, detail: crossing(detail) })
      weight += cost
    })
  // Each method gets the call's abort signal last (the page sends `abort` when the caller's fires).
  const methods = {
    start: (signal: AbortSignal) => node.start({ signal }),
    stop: () => node.stop(),
    submitTransaction: (tx: Parameters<PPNode['submitTransaction']>[0], signal: AbortSignal) =>
      node.submitTransaction(tx, { signal }),
    getAccount: (address: string) => node.getAccount(address),
    nextNonce: (address: string) => node.nextNonce(address),
    // From the lowest block kept at most (a tab joined from a checkpoint, or pruned, has no older ones).
    getBlocks: async (from: number, count: number) => {
      const kept = Math.max(from, node.chainStore.horizon)
      return (await node.chainStore.getBlocks(kept, count - (kept - from))).map(crossingBlock)
    },
  }
  const aborts = new Map<number, AbortController>()
  scope.onmessage = async ({ data }) => {
    if (data.type === 'listen') {
      heard.clear()
      for (const type of data.events) heard.add(type)
    }
    if (data.type === 'abort') aborts.get(data.call)?.abort(new DOMException(data.reason, 'AbortError'))
    if (data.type !== 'call') return
    const abort = new AbortController()
    aborts.set(data.call, abort)
    try {
      const method = methods[data.method] as (...args: unknown[]) => unknown
      const value = await method(...data.args, abort.signal)
      scope.postMessage({ type: 'result', call: data.call, value, mirror: mirrorOf(node) })
    } catch (err) {
      scope.postMessage({ type: 'result', call: data.call, error: errorShape(err), mirror: mirrorOf(node) })
    } finally {
      aborts.delete(data.call)
    }
  }
  scope.postMessage({ type: 'ready', genesis: node.genesis, clock })
}

// The page starts another worker when this one's script has not run for a while (worker-node.ts).
scope.postMessage({ type: 'loaded' })
scope.onmessage = async ({ data }) => {
  if (data.type !== 'join') return
  scope.onmessage = null
  try {
    connectRtc(data.rtc)
    let clock: RelayClock | undefined
    serve(await joinRelay({ ...data.options, onClock: (c) => (clock = c) }), clock)
  } catch (err) {
    scope.postMessage({ type: 'failed', error: errorShape(err) })
  }
}
