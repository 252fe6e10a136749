/**
 * pp-node's isomorphic core, without any network code: pair it with a platform and, to join a
 * network, a network component (the package entries add `createPlatform` and `libp2pNetwork`).
 *
 * @example
 * import { createNode, createPlatform } from 'pp-node'
 * const node = createNode({ genesis, producer: { secret } }, await createPlatform({ dataDir: './.data' }))
 * await node.start()
 * node.addEventListener('block:added', (e) => console.log(e.detail.block.header.index))
 */
export { ManualClock } from './clock/manual-clock.ts'
export { systemClock } from './clock/system-clock.ts'
export type { NetworkConfig, NodeConfig, ProducerSecrets } from './config.ts'
export { vrfPublicKey } from './crypto/vrf.ts'
export { makeDevnet } from './devnet.ts'
export { fromHex, toHex } from './encoding/hash.ts'
export * from './errors.ts'
export { type Genesis, type GenesisJson, genesisToJson, parseGenesis } from './genesis.ts'
export {
  type ProvenAccountJson,
  provenAccountFromJson,
  provenAccountToJson,
} from './ledger/account-proof-json.ts'
export { type Address, addressOf, isAddress, parseAddress } from './ledger/address.ts'
export type { Block, BlockHeader } from './ledger/block.ts'
export * from './ledger/errors.ts'
export { blockToJson, txFromJson, txToJson } from './ledger/json.ts'
export type { ProvenAccount } from './ledger/proven-account.ts'
export { type AccountProof, verifyAccountProof } from './ledger/state-root.ts'
export { signTransaction, type Transaction, type TxBody } from './ledger/transaction.ts'
export type {
  BlockOutcome,
  ChainIntake,
  ChainNetwork,
  ChainNetworkEvents,
  IntakeOptions,
  NetworkComponents,
  NetworkFactory,
  PeerInfo,
} from './net/network-components.ts'
export {
  type BlockAdded,
  createNode,
  type NodeComponents,
  type NodeStatus,
  PPNode,
  type PPNodeEvents,
} from './node.ts'
export type * from './ports.ts'
