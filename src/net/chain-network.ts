import { type GossipSub, gossipsub } from '@libp2p/gossipsub'
import type { Connection, Logger, PeerId, ServiceMap } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, Libp2pOptions } from 'libp2p'
import { TypedEventEmitter } from 'main-event'
import { BoundedMap } from '../bounded-map.ts'
import { DecodeError } from '../errors.ts'
import type { Block } from '../ledger/block.ts'
import type { Transaction } from '../ledger/transaction.ts'
import { keepConnected } from './bootstrap-peers.ts'
import { gossipTopics, publishBlock, publishTransaction, repairGossip, startGossip } from './gossip.ts'
import { type BaseServices, createHost, type Libp2pTransports } from './host.ts'
import { loadIdentity } from './identity.ts'
import { libp2pLogger } from './libp2p-logger.ts'
import { LinkRedial } from './link-redial.ts'
import type {
  ChainNetwork,
  ChainNetworkEvents,
  NetworkComponents,
  NetworkFactory,
  PeerInfo,
  SnapshotStart,
} from './network-components.ts'
import { networkOf } from './network-prefix.ts'
import { PeerDialer } from './peer-dialer.ts'
import { askForPeers, servePeerExchange } from './peer-exchange.ts'
import { peerInfoOf } from './peer-info.ts'
import { closeQuietly, isDirect, PeerMesh } from './peer-mesh.ts'
import { PeerScores } from './peer-scores.ts'
import { joinBySnapshot } from './snapshot-sync.ts'
import { SyncScheduler } from './sync-scheduler.ts'
import { serveSync } from './sync-server.ts'

/** How a libp2p network is built: the environment's transports, extra services, injected faults. */
export interface Libp2pNetworkOptions<T extends ServiceMap = ServiceMap> {
  /** Transports, listen addresses and gater of this environment (each platform entry supplies its own). */
  transports: Libp2pTransports
  /** Extra libp2p services (the relay adds its circuit relay server). */
  services?: Libp2pOptions<T>['services']
  /** Injected network faults, for the simulator and tests. */
  conditions?: NetworkConditions
  /** libp2p's metrics implementation (the relay passes Prometheus metrics). */
  metrics?: Libp2pOptions['metrics']
  /** Told to peers by identify, e.g. "pp-node/0.2.0". */
  userAgent?: string
  /** libp2p's own store (peer records, keychain); in memory when absent. */
  datastore?: Libp2pOptions['datastore']
}

/** Faults the simulator injects: per-message latency and loss on gossip, and blocked peers (partitions). */
export interface NetworkConditions {
  /** Delay before a received gossip message is handled, in ms. */
  latencyMs?: () => number
  /** True to drop a received gossip message. */
  drop?: () => boolean
  /** True for peers this node must not talk to. */
  blocked?: (peer: string) => boolean
}

/** How often a node compares tips with a random peer. */
const ANTI_ENTROPY_MS = 5_000
/**
 * How often a node below its target degree asks a random peer for more (peer exchange). Gossiped
 * address announcements, which every node hears from every node, cost the network the square of
 * its size: 30 nodes × 30 slots took 71 s with announcements every 2 s.
 */
const PEER_EXCHANGE_MS = 3_000
/** A relayed circuit is closed after this long: WebRTC set-up over it takes a few seconds. */
const CIRCUIT_MAX_AGE_MS = 30_000

/** A libp2p network for `createNode(config, platform, { network: libp2pNetwork({ transports }) })`. */
export function libp2pNetwork<T extends ServiceMap = ServiceMap>(
  options: Libp2pNetworkOptions<T>,
): NetworkFactory {
  return (components) => new Libp2pNetwork(components, options)
}

/**
 * The node's network layer on js-libp2p: a host from the environment's transports, gossipsub for
 * blocks and transactions, the sync protocols, peer scoring, and bootstrap peers kept connected.
 */
export class Libp2pNetwork<T extends ServiceMap = ServiceMap>
  extends TypedEventEmitter<ChainNetworkEvents>
  implements ChainNetwork
{
  libp2p?: Libp2p<BaseServices & { pubsub: GossipSub } & T>
  private readonly components: NetworkComponents
  private readonly options: Libp2pNetworkOptions<T>
  private readonly log: Logger
  private readonly scores = new PeerScores()
  /** The network (/24, /48) of each peer seen, for per-network scores and limits. */
  private readonly networks = new BoundedMap<string, string>(10_000)
  private mesh?: PeerMesh
  private dialer?: PeerDialer
  /** Re-dials peers whose direct link was lost. */
  private redial?: LinkRedial
  /** A peer exchange is under way (one at a time). */
  private exchanging = false
  /** Running and waiting syncs, and the tips peers backed. */
  private syncs?: SyncScheduler
  private controller = new AbortController()
  private stops: Array<() => unknown> = []

  constructor(components: NetworkComponents, options: Libp2pNetworkOptions<T>) {
    super()
    this.components = components
    this.options = options
    this.log = components.logger.forComponent('net')
  }

  async start(options: { signal?: AbortSignal; snapshot?: SnapshotStart } = {}): Promise<void> {
    this.controller = new AbortController()
    const { config: network, genesis, intake } = this.components
    const privateKey = await loadIdentity(this.components.records)
    options.signal?.throwIfAborted()
    const libp2p = await createHost<{ pubsub: GossipSub } & T>({
      transports: this.options.transports,
      settings: {
        listen: network.listenAddr,
        announce: network.announceAddr,
        allowPrivateAddresses: network.allowPrivateAddresses,
      },
      privateKey,
      logger: libp2pLogger(network.nodeId),
      ...(this.options.metrics && { metrics: this.options.metrics }),
      ...(this.options.userAgent && { userAgent: this.options.userAgent }),
      ...(this.options.datastore && { datastore: this.options.datastore }),
      // libp2p's default of 5 inbound connections per second per address would turn away a burst of
      // tabs behind one NAT (or many local peers) at a relay.
      // The peer mesh bounds direct peers (maxPeers) itself; libp2p's cap is a safety net with room
      // for bootstrap peers and the burst of short-lived circuits WebRTC is signalled over: when
      // libp2p hits its cap it prunes connections it does not know matter (a tab lost most of its
      // WebRTC peers that way while 20 tabs joined at once).
      connectionManager: {
        maxConnections: 2 * network.maxPeers + network.bootstrapPeers.length + 32,
        inboundConnectionThreshold: Math.max(5, network.maxPeers),
      },
      isBanned: (peer) =>
        this.scores.isBanned(peer.toString(), this.networks.get(peer.toString())) ||
        (this.options.conditions?.blocked?.(peer.toString()) ?? false),
      denyInbound: (remote) => this.refusesInbound(remote),
      services: {
        // No penalty for many peers on one IP address: browser tabs behind one NAT (and every peer
        // of a local devnet) share one. Misbehaviour is scored by pp-node's own peer scores.
        pubsub: gossipsub({
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
          scoreParams: { IPColocationFactorWeight: 0 },
        }),
        ...this.options.services,
      } as Libp2pOptions<{ pubsub: GossipSub } & T>['services'],
    })
    this.libp2p = libp2p
    const bootstrapIds = new Set(
      network.bootstrapPeers.map(
        (a) =>
          multiaddr(a)
            .getComponents()
            .findLast((c) => c.name === 'p2p')?.value,
      ),
    )
    this.mesh = new PeerMesh(
      libp2p,
      {
        targetPeers: network.targetPeers,
        maxPeers: network.maxPeers,
        kept: (peer) => bootstrapIds.has(peer),
      },
      () => setTimeout(() => repairGossip(libp2p.services.pubsub, libp2p.getConnections()), 100),
    )
    const dialer = new PeerDialer(libp2p, this.mesh, this.controller.signal, this.log)
    this.dialer = dialer
    this.redial = new LinkRedial({
      self: libp2p.peerId.toString(),
      wanted: (peer) =>
        !libp2p.getConnections(peer).some(isDirect) &&
        !this.scores.isBanned(peer.toString(), this.networks.get(peer.toString())) &&
        dialer.wantsMorePeers(),
      dial: async (peer) => {
        const known = await libp2p.peerStore.get(peer).catch(() => undefined)
        // One dial per re-dial: LinkRedial backs off itself, and a peer that went away costs little.
        await dialer.dialDirect(peer, known?.addresses.map((a) => a.multiaddr) ?? [], 1)
        return libp2p.getConnections(peer).some(isDirect)
      },
    })
    if (options.signal?.aborted) {
      await this.stop()
      options.signal.throwIfAborted()
    }
    const syncs = new SyncScheduler({
      libp2p,
      components: this.components,
      signal: this.controller.signal,
      penalise: (peer, reason, weight) => this.penalise(peer, reason, weight),
      onProgress: (done, total) => this.safeDispatchEvent('sync:progress', { detail: { done, total } }),
      served: (peer) => this.mesh?.markUseful(peer),
      log: this.components.logger.forComponent('sync'),
    })
    this.syncs = syncs
    if (options.snapshot !== undefined) syncs.hold()
    this.stops.push(
      () => syncs.stop(),
      startGossip(libp2p.services.pubsub, genesis.chainId, intake, {
        penalise: (peer, reason) => this.penalise(peer.toString(), reason),
        chargeWaste: (peer, reason) => this.chargeWaste(peer.toString(), reason),
        fetchAncestors: (peer, block) => syncs.orphan(peer, block.hash),
        ...(this.options.conditions && { conditions: this.options.conditions }),
      }),
      serveSync(
        libp2p,
        genesis.chainId,
        this.components.chain,
        (peer, reason) => this.penalise(peer, reason),
        this.components.logger.forComponent('sync'),
      ),
      servePeerExchange(libp2p, genesis.chainId, this.log),
    )
    const onConnect = (event: CustomEvent<PeerId>): void => {
      const connection = libp2p.getConnections(event.detail)[0]
      const net = connection && networkOf(connection.remoteAddr, network.scoreLocalNetworks)
      if (net !== undefined) this.networks.set(event.detail.toString(), net)
      if (connection !== undefined)
        this.safeDispatchEvent('peer:connect', { detail: { peer: peerInfoOf(connection) } })
      this.sync(event.detail)
    }
    const onDisconnect = (event: CustomEvent<PeerId>): void => {
      this.syncs?.forget(event.detail.toString())
      this.safeDispatchEvent('peer:disconnect', { detail: { id: event.detail.toString() } })
    }
    const onOpen = (event: CustomEvent<Connection>): void => {
      this.mesh?.tidy(event.detail.remotePeer)
      if (isDirect(event.detail)) this.seekPeers(event.detail.remotePeer)
    }
    const onClose = (event: CustomEvent<Connection>): void => {
      if (this.mesh?.closed(event.detail) === 'lost' && !this.controller.signal.aborted)
        this.redial?.lost(event.detail.remotePeer, Date.now() - event.detail.timeline.open)
    }
    // What a peer gives that counts for eviction: a block or transaction accepted from its gossip
    // (gossipsub tells only accepted ones) is useful; a subscription to this chain's blocks shows a
    // node of this chain (see eviction.ts).
    const topics = gossipTopics(genesis.chainId)
    const onAccepted = (event: CustomEvent<{ propagationSource: PeerId }>): void =>
      this.mesh?.markUseful(event.detail.propagationSource)
    const onSubscription = (
      event: CustomEvent<{ peerId: PeerId; subscriptions: Array<{ topic: string; subscribe: boolean }> }>,
    ): void => {
      if (event.detail.subscriptions.some((s) => s.subscribe && s.topic === topics.blocks))
        this.mesh?.markEngaged(event.detail.peerId)
    }
    libp2p.services.pubsub.addEventListener('gossipsub:message', onAccepted)
    libp2p.services.pubsub.addEventListener('subscription-change', onSubscription)
    libp2p.addEventListener('peer:connect', onConnect)
    libp2p.addEventListener('peer:disconnect', onDisconnect)
    libp2p.addEventListener('connection:open', onOpen)
    libp2p.addEventListener('connection:close', onClose)
    this.stops.push(() => {
      libp2p.removeEventListener('peer:connect', onConnect)
      libp2p.removeEventListener('peer:disconnect', onDisconnect)
      libp2p.removeEventListener('connection:open', onOpen)
      libp2p.removeEventListener('connection:close', onClose)
      libp2p.services.pubsub.removeEventListener('gossipsub:message', onAccepted)
      libp2p.services.pubsub.removeEventListener('subscription-change', onSubscription)
      this.redial?.stop()
    })
    for (const addr of network.bootstrapPeers)
      void keepConnected(libp2p, addr, this.controller.signal, this.log)
    // Anti-entropy: now and then compare tips with a random peer, so a block lost in gossip is
    // still fetched even if no later block announces it.
    const randomPeer = (): PeerId | undefined => {
      const direct = libp2p.getConnections().filter(isDirect)
      return direct[Math.floor(Math.random() * direct.length)]?.remotePeer
    }
    const timers = [
      setInterval(() => {
        const peer = randomPeer()
        if (peer !== undefined) this.sync(peer)
      }, ANTI_ENTROPY_MS),
      setInterval(() => {
        const peer = randomPeer()
        if (peer !== undefined) this.seekPeers(peer)
        this.mesh?.closeStaleCircuits(CIRCUIT_MAX_AGE_MS)
        this.mesh?.tidyAll()
        repairGossip(libp2p.services.pubsub, libp2p.getConnections())
      }, PEER_EXCHANGE_MS),
    ]
    this.stops.push(() => timers.forEach(clearInterval))
    this.log('libp2p %s listening on %s', libp2p.peerId, libp2p.getMultiaddrs().join(' '))
    if (options.snapshot === undefined) return
    const signals = [this.controller.signal, ...(options.signal ? [options.signal] : [])]
    const hooks = {
      libp2p,
      components: this.components,
      signal: AbortSignal.any(signals),
      penalise: (peer: string, reason: string) => this.penalise(peer, reason),
      onProgress: (done: number, total: number) =>
        this.safeDispatchEvent('snapshot:progress', { detail: { done, total } }),
      onHeaders: (done: number, total: number) =>
        this.safeDispatchEvent('headers:progress', { detail: { done, total } }),
      onFailure: (error: Error) => this.safeDispatchEvent('error', { detail: { error } }),
      log: this.components.logger.forComponent('snapshot'),
    }
    await joinBySnapshot(hooks, options.snapshot).finally(() => syncs.release())
  }

  async stop(): Promise<void> {
    this.controller.abort()
    for (const stop of this.stops.splice(0)) await stop()
    await this.libp2p?.stop()
    this.libp2p = undefined
  }

  broadcastBlock(block: Block): void {
    if (this.libp2p) publishBlock(this.libp2p.services.pubsub, this.components.genesis.chainId, block)
  }

  broadcastTransaction(tx: Transaction): void {
    if (this.libp2p) publishTransaction(this.libp2p.services.pubsub, this.components.genesis.chainId, tx)
  }

  /**
   * How a peer stands in this node's scoring: its score (0 is clean), whether it is banned, and the
   * lowest block it said it keeps when it refused older ones as pruned.
   */
  peerStanding(peer: string): { score: number; banned: boolean; horizon?: number } {
    const horizon = this.syncs?.horizonOf(peer)
    return {
      score: this.scores.score(peer),
      banned: this.scores.isBanned(peer, this.networks.get(peer)),
      ...(horizon !== undefined && { horizon }),
    }
  }

  /** The best tip a connected peer backed with blocks that validated (see SyncScheduler). */
  bestPeerTip(): number | undefined {
    return this.syncs?.bestTip()
  }

  peers(): PeerInfo[] {
    return (this.libp2p?.getConnections() ?? []).map(peerInfoOf)
  }

  /** Catches up from a peer unless a sync with it is already running or waiting; errors only penalise or log. */
  sync(peer: PeerId): void {
    this.syncs?.sync(peer)
  }

  /** While under its target degree, asks `peer` for some of its peers and dials them; a malformed answer is penalised. */
  private seekPeers(peer: PeerId): void {
    const libp2p = this.libp2p
    const dialer = this.dialer
    if (libp2p === undefined || dialer === undefined || this.exchanging || !dialer.wantsMorePeers()) return
    this.exchanging = true
    askForPeers(libp2p, this.components.genesis.chainId, peer, this.controller.signal)
      .then((learnt) => {
        for (const other of learnt.sort(() => Math.random() - 0.5))
          if (!other.id.equals(libp2p.peerId)) void dialer.dialDiscovered(other.id, other.addrs)
      })
      .catch((err: Error) => {
        this.log('peer exchange with %s failed: %s', peer, err.message)
        if (err instanceof DecodeError) this.penalise(peer.toString(), err.message)
      })
      .finally(() => {
        this.exchanging = false
      })
  }

  private penalise(peer: string, reason: string, weight = 1): void {
    this.log('penalising %s: %s', peer, reason)
    const net = this.networks.get(peer)
    if (this.scores.penalise(peer, reason, weight, net)) this.disconnectBanned()
  }

  /** Charges a peer for input that was not wrong but cost work, beyond a free allowance. */
  private chargeWaste(peer: string, reason: string): void {
    if (this.scores.chargeWaste(peer, reason, this.networks.get(peer))) this.disconnectBanned()
  }

  /** Closes every connection of a banned peer or from a banned network. */
  private disconnectBanned(): void {
    for (const connection of this.libp2p?.getConnections() ?? []) {
      const peer = connection.remotePeer.toString()
      if (this.scores.isBanned(peer, this.networks.get(peer))) void closeQuietly(connection, 'peer banned')
    }
  }

  /** Refuses an inbound connection from a banned network, or from one holding its share of connections already. */
  private refusesInbound(remote: Multiaddr): boolean {
    const network = this.components.config
    const net = networkOf(remote, network.scoreLocalNetworks)
    if (net === undefined) return false
    if (this.scores.isNetworkBanned(net)) return true
    const open = (this.libp2p?.getConnections() ?? []).filter(
      (c) => c.direction === 'inbound' && networkOf(c.remoteAddr, network.scoreLocalNetworks) === net,
    )
    return open.length >= network.maxPeersPerNetwork
  }
}
