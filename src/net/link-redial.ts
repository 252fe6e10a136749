import type { PeerId } from '@libp2p/interface'
import { BoundedMap } from '../bounded-map.ts'

/** The first re-dial of a lost link by the end with the smaller peer id (the dialler both ends prefer). */
const FIRST_DELAY_MS = 250
/** The other end waits longer first, so the two ends rarely dial each other at once. */
const OTHER_END_DELAY_MS = 2_000
/** Re-dials in a row after which a peer is left to discovery: one that keeps closing us (it is full) is not redialled in a loop. */
const MAX_ATTEMPTS = 5
/** A link that lived this long was stable: its loss starts the backoff afresh. */
const STABLE_MS = 30_000
/** Peers remembered at most. */
const MAX_REMEMBERED = 10_000
/** Re-dials scheduled at once, at most: strangers that connect and drop cannot pile up timers. */
const MAX_PENDING = 32

/** What re-dialling needs from the network. */
export interface RedialHooks {
  /** The node's own peer id. */
  self: string
  /** Whether the peer should be dialled now (no direct link yet, not banned, the node wants peers). */
  wanted(peer: PeerId): boolean
  /** Dials the peer over a direct address; resolves true when a direct link is up. */
  dial(peer: PeerId): Promise<boolean>
}

/**
 * Re-dials a peer whose direct link was lost (not closed by this node) promptly, with backoff per
 * peer: a duplicate close or a transient failure no longer leaves two peers apart until
 * discovery dials again a minute later.
 */
export class LinkRedial {
  private readonly hooks: RedialHooks
  private readonly attempts = new BoundedMap<string, number>(MAX_REMEMBERED)
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  private stopped = false

  constructor(hooks: RedialHooks) {
    this.hooks = hooks
  }

  /** Schedules a re-dial of `peer`, whose link was lost after `livedMs`. */
  lost(peer: PeerId, livedMs: number): void {
    const id = peer.toString()
    if (this.stopped || this.timers.has(id) || this.timers.size >= MAX_PENDING) return
    if (!this.hooks.wanted(peer)) return
    const attempts = (livedMs >= STABLE_MS ? 0 : (this.attempts.get(id) ?? 0)) + 1
    this.attempts.set(id, attempts)
    if (attempts > MAX_ATTEMPTS) return
    const first = this.hooks.self < id ? FIRST_DELAY_MS : OTHER_END_DELAY_MS
    const delay = first * 2 ** (attempts - 1) * (1 + Math.random() / 2)
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id)
        if (this.stopped || !this.hooks.wanted(peer)) return
        void this.hooks.dial(peer).then((up) => {
          if (!up) this.lost(peer, 0)
        })
      }, delay),
    )
  }

  /** Cancels every scheduled re-dial; a dial under way schedules no more. */
  stop(): void {
    this.stopped = true
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
  }
}
