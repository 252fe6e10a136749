// The types the node shows the world: its events and its status.
import type { PPError } from './errors.ts'
import type { Address } from './ledger/address.ts'
import type { Block } from './ledger/block.ts'
import type { ValidationError } from './ledger/errors.ts'
import type { Transaction } from './ledger/transaction.ts'
import type { PeerInfo } from './net/network-components.ts'

/** How a block joined the best chain. */
export interface BlockAdded {
  block: Block
  /** True for the node's own blocks. */
  produced: boolean
  /** The peer it came from. */
  from?: string
  /** True when it came in a run fetched by sync, false when alone (gossip, the API). */
  synced?: boolean
  /** Milliseconds spent validating and adding it (a run's time shared among its blocks). */
  importMs?: number
}

/** The node's events and their details. */
export interface PPNodeEvents {
  slot: CustomEvent<{ slot: number; epoch: number; produced: boolean }>
  'block:added': CustomEvent<BlockAdded>
  'block:rejected': CustomEvent<{ hash: string; index: number; error: ValidationError; from?: string }>
  /** A second valid block by one issuer for one slot: kept as a fork candidate, not relayed. */
  'block:equivocation': CustomEvent<{ issuer: string; slot: number; hashes: [string, string]; from?: string }>
  'chain:reorg': CustomEvent<{ depth: number; fromIndex: number; toIndex: number; toHash: string }>
  'tx:accepted': CustomEvent<{ tx: Transaction }>
  'tx:rejected': CustomEvent<{ hash: string; error: PPError }>
  'sync:progress': CustomEvent<{ done: number; total: number }>
  /** Snapshot chunks checked and kept, of how many, while the node joins from a checkpoint. */
  'snapshot:progress': CustomEvent<{ done: number; total: number }>
  /** Headers checked, of how many, while the node finds its checkpoint on the header chain (`checkpoint: 'headers'`). */
  'headers:progress': CustomEvent<{ done: number; total: number }>
  'peer:connect': CustomEvent<{ peer: PeerInfo }>
  'peer:disconnect': CustomEvent<{ id: string }>
  error: CustomEvent<{ error: Error }>
}

/** A snapshot of the node for status displays and the HTTP API. */
export interface NodeStatus {
  chainId: string
  nodeId: string
  slot: number
  epoch: number
  tip: { index: number; slot: number; hash: string }
  mempool: { transactions: number; bytes: number }
  peers: number
  /** True while a peer is known to have a longer chain than ours (or before any peer answered). */
  syncing: boolean
  producer?: { address: Address; vrfKey?: string }
}
