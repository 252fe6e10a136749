/** A peer as eviction sees it: when its oldest direct connection opened, what it has given. */
export interface PeerView {
  id: string
  openedAt: number
  /** When it last gave something useful (a valid block or transaction, blocks in a sync). */
  lastUseful: number | undefined
  /** It subscribed to the chain's gossip: a node of this chain, though not yet a useful one. */
  engaged: boolean
}

/** A newcomer is not evicted for being idle this long after it connected (it has not had time to be useful). */
export const GRACE_MS = 10_000

/** Slots beyond `maxPeers` held for newcomers in their grace period. */
function newcomerReserve(maxPeers: number): number {
  return Math.max(1, Math.ceil(maxPeers / 8))
}

/** 0 for a peer that never gave anything nor subscribed, 1 for one that subscribed only, 2 for a useful one. */
const tier = (p: PeerView): number => (p.lastUseful !== undefined ? 2 : p.engaged ? 1 : 0)

/**
 * Of two settled peers, the one to shed first: the lower tier; among idle ones the longest idle
 * (oldest), among subscribed ones the newest (long-lived ones are kept), among useful ones the
 * least recently useful.
 */
function settledFirst(a: PeerView, b: PeerView): PeerView {
  if (tier(a) !== tier(b)) return tier(a) < tier(b) ? a : b
  if (tier(a) === 2) return b.lastUseful! < a.lastUseful! ? b : a
  return b.openedAt < a.openedAt === (tier(a) === 0) ? b : a
}

/** Of two newcomers, the one to shed first: the lower tier, then the newest. */
function newcomerFirst(a: PeerView, b: PeerView): PeerView {
  if (tier(a) !== tier(b)) return tier(a) < tier(b) ? a : b
  return b.openedAt > a.openedAt ? b : a
}

/**
 * The peer to drop when a node holds too many, or none. Settled peers (past their grace period)
 * beyond `maxPeers` lose the least useful first (`settledFirst`). Newcomers fill up to `maxPeers`
 * plus a reserve; beyond it the least useful newcomer, the newest of those, goes. Idle connections
 * thus cannot keep an honest newcomer out, and a flood of newcomers cannot push out useful peers.
 */
export function evictionVictim(
  peers: readonly PeerView[],
  maxPeers: number,
  now: number,
): string | undefined {
  if (peers.length <= maxPeers) return undefined
  const settled = peers.filter((p) => now - p.openedAt >= GRACE_MS)
  if (settled.length > maxPeers) return settled.reduce(settledFirst).id
  if (peers.length <= maxPeers + newcomerReserve(maxPeers)) return undefined
  return peers.filter((p) => now - p.openedAt < GRACE_MS).reduce(newcomerFirst).id
}
