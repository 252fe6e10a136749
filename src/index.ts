/**
 * pp-node's isomorphic core. Pair it with a platform (`nodePlatform` or `browserPlatform`).
 *
 * @example
 * import { nodePlatform } from 'pp-node'
 * const store = await nodePlatform({ dataDir: './.data' }).openStore('chain')
 */
export { ManualClock } from './clock/manual-clock.ts'
export { systemClock } from './clock/system-clock.ts'
export * from './errors.ts'
export { createHost } from './net/host.ts'
export type * from './platform.ts'
