import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, identifyPush } from '@libp2p/identify'
import type { ComponentLogger, PeerId, PrivateKey, ServiceMap } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'

/** What the platform needs to know to build its libp2p transports. */
export interface NetworkSettings {
  /** Multiaddrs to listen on (Node); browsers listen on circuit relay + WebRTC instead. */
  listen: string[]
  /** Multiaddrs told to peers instead of the listen addresses (Node servers behind NAT). */
  announce?: string[]
  /** Allow dialing private and loopback addresses and plain ws:// (local devnets and tests). */
  allowPrivateAddresses: boolean
}

/** The libp2p pieces that differ between environments: transports, listen addresses, gater. */
export type Libp2pTransports = (
  settings: NetworkSettings,
) => Pick<Libp2pOptions, 'transports' | 'addresses' | 'connectionGater'>

/** What a pp-node libp2p host is built from. */
export interface HostOptions<T extends ServiceMap> {
  transports: Libp2pTransports
  settings: NetworkSettings
  /** Per-node logger handed to every libp2p component. */
  logger?: ComponentLogger
  /** libp2p's metrics implementation (the relay passes Prometheus metrics). */
  metrics?: Libp2pOptions['metrics']
  /** Told to peers by identify, e.g. "pp-node/0.2.0". */
  userAgent?: string
  /** libp2p's own store (peer records, keychain); in memory when absent. */
  datastore?: Libp2pOptions['datastore']
  /** The node's persistent identity; a fresh one when absent. */
  privateKey?: PrivateKey
  /** Extra libp2p services (the relay adds a circuit relay server). */
  services?: Libp2pOptions<T>['services']
  connectionManager?: Libp2pOptions['connectionManager']
  peerDiscovery?: Libp2pOptions['peerDiscovery']
  /** Peers refused in both directions (banned for misbehaving). */
  isBanned?: (peer: PeerId) => boolean
  /** Inbound connections refused by their remote address (a banned or crowded network), before any handshake. */
  denyInbound?: (remote: Multiaddr) => boolean
}

/** The base services every pp-node host runs. */
export type BaseServices = {
  identify: ReturnType<ReturnType<typeof identify>>
  identifyPush: ReturnType<ReturnType<typeof identifyPush>>
  ping: ReturnType<ReturnType<typeof ping>>
}

/**
 * Builds and starts a libp2p host: the platform's transports, noise, yamux, identify (and its push,
 * so peers learn a tab's relayed addresses once it has them: peer exchange shares those) and ping.
 */
export async function createHost<T extends ServiceMap = ServiceMap>(
  options: HostOptions<T>,
): Promise<Libp2p<BaseServices & T>> {
  const platformOptions = options.transports(options.settings)
  const banned = options.isBanned ?? (() => false)
  return createLibp2p({
    ...(options.privateKey !== undefined && { privateKey: options.privateKey }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.metrics !== undefined && { metrics: options.metrics }),
    ...(options.datastore !== undefined && { datastore: options.datastore }),
    ...(options.userAgent !== undefined && { nodeInfo: { userAgent: options.userAgent } }),
    ...platformOptions,
    connectionGater: {
      ...platformOptions.connectionGater,
      denyDialPeer: (peer) => banned(peer),
      denyInboundEncryptedConnection: (peer) => banned(peer),
      denyInboundConnection: (connection) => options.denyInbound?.(connection.remoteAddr) ?? false,
    },
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(options.connectionManager !== undefined && { connectionManager: options.connectionManager }),
    ...(options.peerDiscovery !== undefined && { peerDiscovery: options.peerDiscovery }),
    services: {
      identify: identify(),
      identifyPush: identifyPush(),
      ping: ping(),
      ...options.services,
    } as Libp2pOptions<BaseServices & T>['services'],
  })
}
