import type { Connection, PeerId } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { redundantConnections } from './duplicate-choice.ts'
import { evictionVictim } from './eviction.ts'
import { PeerUsefulness } from './peer-usefulness.ts'

/** How many direct peers a node seeks and keeps. */
export interface MeshBounds {
  /** Below this many direct peers the node dials peers it discovers. */
  targetPeers: number
  /** Direct peers other than `kept` ones beyond this are shed, the least useful first (eviction.ts). */
  maxPeers: number
  /** Peers never closed for the bound: bootstrap peers and relays. */
  kept: (peer: string) => boolean
}

/** A connection that carries protocols: not a limited relayed circuit. */
export function isDirect(connection: Connection): boolean {
  return connection.limits === undefined && connection.status === 'open'
}

/**
 * Keeps a node's peer graph bounded and clean, so its cost grows with its degree, not with the
 * network: one connection per peer, no relayed circuit past its use for WebRTC signalling, and at most
 * `maxPeers` direct peers (plus a reserve for newcomers), shedding the least useful first. Both
 * ends of a duplicate keep the same connection (duplicate-choice.ts).
 */
export class PeerMesh {
  private readonly libp2p: Libp2p
  private readonly bounds: MeshBounds
  private readonly onReplaced: (peer: PeerId, connection: Connection) => void
  /** When each peer was last useful to this node. */
  private readonly usefulness = new PeerUsefulness()
  /** Connections this node closed itself (their peers were not lost). */
  private readonly closing = new WeakSet<Connection>()

  /** `onReplaced` is told when a peer's connection was closed as redundant and another carries on. */
  constructor(
    libp2p: Libp2p,
    bounds: MeshBounds,
    onReplaced: (peer: PeerId, connection: Connection) => void,
  ) {
    this.libp2p = libp2p
    this.bounds = bounds
    this.onReplaced = onReplaced
  }

  /** Records that `peer` just gave something useful (a valid block or transaction, blocks in a sync). */
  markUseful(peer: PeerId | string): void {
    this.usefulness.mark(peer.toString())
  }

  /** Records that `peer` subscribed to the chain's block gossip (a node of this chain). */
  markEngaged(peer: PeerId | string): void {
    this.usefulness.markEngaged(peer.toString())
  }

  /** Peers with a direct connection. */
  directPeers(): Set<string> {
    return new Set(
      this.libp2p
        .getConnections()
        .filter(isDirect)
        .map((c) => c.remotePeer.toString()),
    )
  }

  /** Whether the node should dial another peer, with `pending` dials under way. */
  wantsMorePeers(pending = 0): boolean {
    return this.directPeers().size + pending < this.bounds.targetPeers
  }

  /** Tidies a peer's connections after one opened: closes its duplicates and any peer beyond the bound. */
  tidy(peer: PeerId): void {
    this.tidyPeer(peer)
    this.trim()
  }

  /** Tidies every peer and sheds peers beyond the bound (newcomers' grace periods end, duplicates wait). */
  tidyAll(): void {
    const peers = new Map(this.libp2p.getConnections().map((c) => [c.remotePeer.toString(), c.remotePeer]))
    for (const peer of peers.values()) this.tidyPeer(peer)
    this.trim()
  }

  private tidyPeer(peer: PeerId): void {
    const direct = this.libp2p.getConnections(peer).filter(isDirect)
    if (direct.length === 0) return
    // A relayed circuit is left to closeStaleCircuits: closing the one that carried a WebRTC link's
    // signalling as the link opened lost that link seconds later (in 1 of 4 two-tab runs).
    const self = this.libp2p.peerId.toString()
    for (const duplicate of redundantConnections(self, peer.toString(), direct, Date.now()))
      this.close(duplicate)
  }

  /** Over the bound, drops the peer `evictionVictim` picks: the least useful, newcomers aside. */
  private trim(): void {
    const opened = new Map<string, number>()
    for (const c of this.libp2p.getConnections()) {
      const id = c.remotePeer.toString()
      if (isDirect(c) && !this.bounds.kept(id))
        opened.set(id, Math.min(opened.get(id) ?? Number.POSITIVE_INFINITY, c.timeline.open))
    }
    const peers = [...opened].map(([id, openedAt]) => ({
      id,
      openedAt,
      lastUseful: this.usefulness.lastUseful(id),
      engaged: this.usefulness.isEngaged(id),
    }))
    const victim = evictionVictim(peers, this.bounds.maxPeers, Date.now())
    if (victim === undefined) return
    for (const c of this.libp2p.getConnections()) if (c.remotePeer.toString() === victim) this.close(c)
  }

  /**
   * Closes relayed circuits open longer than `maxAgeMs`: a circuit only carries WebRTC signalling,
   * and one left by a failed or refused WebRTC set-up would otherwise hold a relay slot for good.
   */
  closeStaleCircuits(maxAgeMs: number): void {
    const now = Date.now()
    for (const c of this.libp2p.getConnections())
      if (c.limits !== undefined && c.status === 'open' && now - c.timeline.open > maxAgeMs) this.close(c)
  }

  /**
   * After a direct connection closed: if another to the same peer remains, says so (gossip
   * re-attaches to it) and returns 'replaced'; 'lost' when the peer's last direct link went and
   * this node did not close it (a candidate for a prompt re-dial); else 'closed'.
   */
  closed(connection: Connection): 'replaced' | 'lost' | 'closed' {
    if (connection.limits !== undefined) return 'closed'
    const remaining = this.libp2p.getConnections(connection.remotePeer).find(isDirect)
    if (remaining !== undefined) {
      this.onReplaced(connection.remotePeer, remaining)
      return 'replaced'
    }
    const ours = this.closing.has(connection) || this.bounds.kept(connection.remotePeer.toString())
    return ours ? 'closed' : 'lost'
  }

  private close(connection: Connection): void {
    this.closing.add(connection)
    void closeQuietly(connection)
  }
}

/** Closes a connection, aborting it if a graceful close fails. */
export async function closeQuietly(connection: Connection, reason = 'closed by peer mesh'): Promise<void> {
  try {
    await connection.close()
  } catch {
    connection.abort(new Error(reason))
  }
}
