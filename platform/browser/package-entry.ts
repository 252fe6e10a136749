/** The package's browser entry: the core, the browser platform and the libp2p network of a tab. */
export * from '../../src/index.ts'
export * from '../../src/net/index.ts'
export {
  GenesisMismatchError,
  RelayUnreachableError,
  WorkerTimeoutError,
  WorkerUnavailableError,
} from './errors.ts'
export { type BrowserPlatformOptions, browserPlatform, createPlatform } from './index.ts'
export { type JoinRelayOptions, joinRelay } from './join-relay.ts'
export { browserTransports, libp2pNetwork } from './network.ts'
export { boundClockOffset, type RelayClock } from './relay-clock.ts'
export { serveRtc } from './rtc-proxy/page-rtc.ts'
export {
  joinRelayInWorker,
  type WorkerJoinOptions,
  WorkerNode,
  type WorkerNodeEvents,
} from './worker-node/worker-node.ts'
