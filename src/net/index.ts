/**
 * The libp2p network component: gossip, sync, peer scoring. The package entries export
 * `libp2pNetwork(options?)` with their environment's transports filled in.
 */
export {
  Libp2pNetwork,
  type Libp2pNetworkOptions,
  libp2pNetwork as libp2pNetworkWith,
  type NetworkConditions,
} from './chain-network.ts'
export * from './errors.ts'
export {
  type BaseServices,
  createHost,
  type HostOptions,
  type Libp2pTransports,
  type NetworkSettings,
} from './host.ts'
