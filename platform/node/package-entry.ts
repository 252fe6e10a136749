/** The package's Node entry: the core plus the Node platform. */
export * from '../../src/index.ts'
export { nodePlatform } from './index.ts'
