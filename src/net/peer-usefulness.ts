/** Peers remembered at most (the oldest marks are forgotten first). */
const MAX_REMEMBERED = 10_000

/**
 * When each peer last gave this node something useful: a block or transaction accepted from its
 * gossip, blocks it served in a sync, a subscription to the chain's gossip. The peer mesh evicts
 * the least useful peer first, so idle connections cannot squat its slots.
 */
export class PeerUsefulness {
  private readonly last = new Map<string, number>()
  private readonly now: () => number

  /** `now` is the clock marks are taken with (ms). */
  constructor(now: () => number = Date.now) {
    this.now = now
  }

  /** Records that `peer` just gave something useful. */
  mark(peer: string): void {
    this.last.delete(peer)
    this.last.set(peer, this.now())
    if (this.last.size > MAX_REMEMBERED) this.last.delete(this.last.keys().next().value as string)
  }

  /** When `peer` last gave something useful, or undefined if it never did. */
  lastUseful(peer: string): number | undefined {
    return this.last.get(peer)
  }
}
