/** The package's Node entry: the core, the Node platform and the libp2p network over TCP and WebSocket. */
export * from '../../src/index.ts'
export * from '../../src/net/index.ts'
export { createPlatform, type NodePlatformOptions, nodePlatform } from './index.ts'
export { libp2pNetwork, nodeTransports } from './network.ts'
