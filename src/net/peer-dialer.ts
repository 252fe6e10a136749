import type { Logger, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import { BoundedMap } from '../bounded-map.ts'
import { dialWithRetry } from './dial-retry.ts'
import { isDirect, type PeerMesh } from './peer-mesh.ts'

/** A discovered peer is dialled at most once in this long (it may be full and close us again). */
const REDISCOVER_MS = 60_000

/**
 * Dials peers over direct addresses (TCP, WebSocket, or WebRTC signalled through a relay), never
 * over a limited relayed circuit: peers learnt by exchange while the node is under its target
 * degree, at most once a minute each, and lost links when LinkRedial asks. Counts the dials under
 * way, so concurrent ones do not overshoot the target.
 */
export class PeerDialer {
  private readonly libp2p: Libp2p
  private readonly mesh: PeerMesh
  private readonly signal: AbortSignal
  private readonly log: Logger
  private readonly dialing = new Set<string>()
  /** When each discovered peer was last dialled. */
  private readonly dialled = new BoundedMap<string, number>(10_000)

  constructor(libp2p: Libp2p, mesh: PeerMesh, signal: AbortSignal, log: Logger) {
    this.libp2p = libp2p
    this.mesh = mesh
    this.signal = signal
    this.log = log
  }

  /** Whether the node should dial another peer, counting the dials under way. */
  wantsMorePeers(): boolean {
    return this.mesh.wantsMorePeers(this.dialing.size)
  }

  /** Dials a peer learnt by peer exchange while the node wants more peers; a peer at most once a minute. */
  async dialDiscovered(peer: PeerId, addrs: Multiaddr[]): Promise<void> {
    const id = peer.toString()
    if (this.dialing.has(id) || this.libp2p.getConnections(peer).some(isDirect) || !this.wantsMorePeers())
      return
    if (Date.now() - (this.dialled.get(id) ?? Number.NEGATIVE_INFINITY) < REDISCOVER_MS) return
    this.dialled.set(id, Date.now())
    await this.dialDirect(peer, addrs)
  }

  /** Dials a peer over the first dialable direct address among `addrs` (`attempts` tries), unless a dial to it is under way. */
  async dialDirect(peer: PeerId, addrs: Multiaddr[], attempts = 5): Promise<void> {
    const id = peer.toString()
    if (this.dialing.has(id)) return
    this.dialing.add(id)
    try {
      const candidates: Multiaddr[] = []
      for (const addr of addrs.filter(isDirectAddress))
        if (await this.libp2p.isDialable(addr)) candidates.push(addr)
      if (candidates.length === 0) return
      await dialWithRetry(this.libp2p, candidates[0], { signal: this.signal, attempts })
    } catch (err) {
      this.log('could not dial peer %s: %s', peer, (err as Error).message)
    } finally {
      this.dialing.delete(id)
    }
  }
}

/** Whether dialling an address gives a direct connection: not a relayed circuit, unless WebRTC is set up over it. */
function isDirectAddress(addr: Multiaddr): boolean {
  const names = addr.getComponents().map((c) => c.name)
  const circuit = names.lastIndexOf('p2p-circuit')
  return circuit === -1 || names.slice(circuit).includes('webrtc')
}
