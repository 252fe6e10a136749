import { BoundedMap } from '../bounded-map.ts'

/** Peers remembered at most (the oldest entries are forgotten first). */
const MAX_REMEMBERED = 10_000

/**
 * What each peer gave this node: when it last gave something useful (a block or transaction
 * accepted from its gossip, blocks it served in a sync), and whether it subscribed to the chain's
 * gossip. The peer mesh evicts the least useful peer first, so idle connections cannot squat its slots.
 */
export class PeerUsefulness {
  private readonly last = new BoundedMap<string, number>(MAX_REMEMBERED)
  private readonly engaged = new Set<string>()
  private readonly now: () => number

  /** `now` is the clock marks are taken with (ms). */
  constructor(now: () => number = Date.now) {
    this.now = now
  }

  /** Records that `peer` just gave something useful. */
  mark(peer: string): void {
    this.last.set(peer, this.now())
  }

  /** Records that `peer` subscribed to the chain's gossip. */
  markEngaged(peer: string): void {
    // Most recent last: a flood of new subscribers forgets the longest-unheard first.
    this.engaged.delete(peer)
    this.engaged.add(peer)
    if (this.engaged.size > MAX_REMEMBERED) this.engaged.delete(this.engaged.values().next().value as string)
  }

  /** When `peer` last gave something useful, or undefined if it never did. */
  lastUseful(peer: string): number | undefined {
    return this.last.get(peer)
  }

  /** Whether `peer` subscribed to the chain's gossip. */
  isEngaged(peer: string): boolean {
    return this.engaged.has(peer)
  }
}
