/** The package's browser entry: the core plus the browser platform. */
export * from '../../src/index.ts'
export { browserPlatform } from './index.ts'
export { type JoinRelayOptions, joinRelay, RelayUnreachableError } from './join-relay.ts'
