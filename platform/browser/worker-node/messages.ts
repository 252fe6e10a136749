// What a page and the node it runs in a dedicated worker say to each other (worker-node.ts on the
// page, node-worker.ts in the worker). Everything here survives structured cloning.
import type { Genesis } from '../../../src/genesis.ts'
import type { PeerInfo } from '../../../src/net/network-components.ts'
import type { NodeStatus, PPNodeEvents } from '../../../src/node-api.ts'
import type { JoinRelayOptions } from '../join-relay.ts'
import type { RelayClock } from '../relay-clock.ts'

/** The node's methods a page calls in its worker. */
export type NodeMethod = 'start' | 'stop' | 'submitTransaction' | 'getAccount' | 'nextNonce' | 'getBlocks'

/** An error as it crosses: its class name, code and message. */
export interface ErrorShape {
  name: string
  code?: string
  message: string
}

/** One of the node's events: its type and its detail (errors in it as ErrorShape). */
export interface NodeEventMessage {
  type: keyof PPNodeEvents
  detail: unknown
}

/** Page → worker. */
export type PageToNode =
  | { type: 'join'; options: Omit<JoinRelayOptions, 'onClock'>; rtc: MessagePort }
  | { type: 'call'; call: number; method: NodeMethod; args: unknown[] }
  | { type: 'abort'; call: number; reason: string }
  /** The events the page has listeners for: only these cross (a block's transactions cost the page). */
  | { type: 'listen'; events: (keyof PPNodeEvents)[] }

/** What the page mirrors so that `getState()` and `getPeers()` answer at once. */
export interface NodeMirror {
  state: NodeStatus
  peers: PeerInfo[]
  /** The node's libp2p peer id. */
  peerId?: string
}

/** Worker → page; `mirror` is there while the node runs. */
export type NodeToPage =
  | { type: 'loaded' }
  | { type: 'ready'; genesis: Genesis; clock?: RelayClock }
  | { type: 'failed'; error: ErrorShape }
  | { type: 'result'; call: number; value?: unknown; error?: ErrorShape; mirror?: NodeMirror }
  | { type: 'events'; events: NodeEventMessage[]; mirror?: NodeMirror }

/** Every event the node emits, forwarded to the page. */
export const NODE_EVENTS: (keyof PPNodeEvents)[] = [
  'slot',
  'block:added',
  'block:rejected',
  'block:equivocation',
  'chain:reorg',
  'tx:accepted',
  'tx:rejected',
  'sync:progress',
  'snapshot:progress',
  'headers:progress',
  'peer:connect',
  'peer:disconnect',
  'error',
]

/** An error in a form that crosses to the other side. */
export function errorShape(err: unknown): ErrorShape {
  const e = err instanceof Error ? err : new Error(String(err))
  const code = (e as { code?: unknown }).code
  return { name: e.name, message: e.message, ...(typeof code === 'string' && { code }) }
}
