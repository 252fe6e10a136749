import type { Connection, PeerId } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'

/** How many direct peers a node seeks and keeps. */
export interface MeshBounds {
  /** Below this many direct peers the node dials peers it discovers. */
  targetPeers: number
  /** Direct connections to peers other than `kept` ones beyond this are closed, newest first. */
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
 * network: one connection per peer, no relayed circuit once a direct connection is up, and at most
 * `maxPeers` direct peers. Both ends of a duplicate keep the same connection: the one dialled by
 * the smaller peer id (the oldest of those).
 */
export class PeerMesh {
  private readonly libp2p: Libp2p
  private readonly bounds: MeshBounds
  private readonly onReplaced: (peer: PeerId, connection: Connection) => void

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

  /** Tidies a peer's connections after one opened: closes its circuits, duplicates and any beyond the bound. */
  tidy(peer: PeerId): void {
    const all = this.libp2p.getConnections(peer).filter((c) => c.status === 'open')
    const direct = all.filter(isDirect)
    if (direct.length === 0) return
    for (const circuit of all.filter((c) => !isDirect(c))) void closeQuietly(circuit)
    const keep = this.preferred(peer, direct)
    for (const duplicate of direct.filter((c) => c !== keep)) void closeQuietly(duplicate)
    this.trim()
  }

  /**
   * Over the bound, drops one peer: one this node dialled itself if it can (it finds others; a
   * peer that dialled us may have no one else), else the newest that dialled us.
   */
  private trim(): void {
    const connections = this.libp2p
      .getConnections()
      .filter((c) => isDirect(c) && !this.bounds.kept(c.remotePeer.toString()))
    if (new Set(connections.map((c) => c.remotePeer.toString())).size <= this.bounds.maxPeers) return
    const newest = (list: Connection[]) =>
      list.reduce<Connection | undefined>(
        (a, b) => (a === undefined || b.timeline.open > a.timeline.open ? b : a),
        undefined,
      )
    const drop = newest(connections.filter((c) => c.direction === 'outbound')) ?? newest(connections)
    if (drop !== undefined) for (const c of this.libp2p.getConnections(drop.remotePeer)) void closeQuietly(c)
  }

  /**
   * Closes relayed circuits open longer than `maxAgeMs`: a circuit only carries WebRTC signalling,
   * and one left by a failed or refused WebRTC set-up would otherwise hold a relay slot for good.
   */
  closeStaleCircuits(maxAgeMs: number): void {
    const now = Date.now()
    for (const c of this.libp2p.getConnections())
      if (c.limits !== undefined && c.status === 'open' && now - c.timeline.open > maxAgeMs)
        void closeQuietly(c)
  }

  /** After a direct connection closed: if another to the same peer remains, say so (gossip re-attaches to it). */
  closed(connection: Connection): void {
    if (connection.limits !== undefined) return
    const remaining = this.libp2p.getConnections(connection.remotePeer).find(isDirect)
    if (remaining !== undefined) this.onReplaced(connection.remotePeer, remaining)
  }

  /** The connection both ends keep: dialled by the smaller peer id, the oldest of those. */
  private preferred(peer: PeerId, direct: Connection[]): Connection {
    const weDial = this.libp2p.peerId.toString() < peer.toString()
    const byPreferredDialer = direct.filter((c) => (c.direction === 'outbound') === weDial)
    const pool = byPreferredDialer.length > 0 ? byPreferredDialer : direct
    return pool.reduce((a, b) => (b.timeline.open < a.timeline.open ? b : a))
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
