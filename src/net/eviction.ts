/** A peer as eviction sees it: when its oldest direct connection opened, when it was last useful. */
export interface PeerView {
  id: string
  openedAt: number
  lastUseful: number | undefined
}

/** A newcomer is not evicted for being idle this long after it connected (it has not had time to be useful). */
export const GRACE_MS = 10_000

/** Slots beyond `maxPeers` held for newcomers in their grace period. */
export function newcomerReserve(maxPeers: number): number {
  return Math.max(1, Math.ceil(maxPeers / 8))
}

/**
 * The peer to drop when a node holds too many, or none. Settled peers (past their grace period)
 * beyond `maxPeers` lose the least useful first: never useful before useful long ago, the longest
 * idle first. Newcomers fill up to `maxPeers` plus a reserve; beyond it the least useful newcomer,
 * the newest of those, goes. Idle connections thus cannot keep an honest newcomer out, and a flood
 * of newcomers cannot push out peers that were useful.
 */
export function evictionVictim(
  peers: readonly PeerView[],
  maxPeers: number,
  now: number,
): string | undefined {
  if (peers.length <= maxPeers) return undefined
  const settled = peers.filter((p) => now - p.openedAt >= GRACE_MS)
  const useless = (a: PeerView, b: PeerView, newestFirst: boolean): PeerView => {
    const [ua, ub] = [a.lastUseful ?? Number.NEGATIVE_INFINITY, b.lastUseful ?? Number.NEGATIVE_INFINITY]
    if (ua !== ub) return ua < ub ? a : b
    return b.openedAt > a.openedAt === newestFirst ? b : a
  }
  if (settled.length > maxPeers) return settled.reduce((a, b) => useless(a, b, false)).id
  if (peers.length <= maxPeers + newcomerReserve(maxPeers)) return undefined
  const newcomers = peers.filter((p) => now - p.openedAt < GRACE_MS)
  return newcomers.reduce((a, b) => useless(a, b, true)).id
}
