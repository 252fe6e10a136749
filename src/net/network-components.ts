// What a network plugs into and what it offers: the narrow contract between a node and its network.
import type { ComponentLogger } from '@libp2p/interface'
import type { TypedEventTarget } from 'main-event'
import type { NetworkConfig } from '../config.ts'
import type { HeaderChain } from '../consensus/header-chain.ts'
import type { Genesis } from '../genesis.ts'
import type { Block } from '../ledger/block.ts'
import type { ChainStore } from '../ledger/chain-store.ts'
import type { Checkpoint } from '../ledger/snapshot.ts'
import type { Transaction } from '../ledger/transaction.ts'
import type { RecordStore } from '../ports.ts'

/** What happened to a block handed to the node. */
export type BlockOutcome = 'added' | 'side' | 'duplicate'

/** Who sent a block and how long the caller will wait for it to be handled. */
export interface IntakeOptions {
  /** The peer id of the sender (for events and scoring); absent for local input. */
  from?: string
  /** Gives up waiting (for the block's slot or its turn in the queue) when aborted. */
  signal?: AbortSignal
  /**
   * For a run that follows one still being handled (sync hands runs on before the last is done):
   * its signatures start verifying at once, on other cores, while the run before is applied.
   */
  verifyAhead?: boolean
}

/** Where the network hands what peers send: the node validates and keeps it, or throws why not. */
export interface ChainIntake {
  /** Validates and adds one block; throws the broken rule, or UnknownParentError. */
  receiveBlock(block: Block, options?: IntakeOptions): Promise<BlockOutcome>
  /** Validates and adds a linked run of blocks, as sync fetches them. */
  receiveBlocks(blocks: Block[], options?: IntakeOptions): Promise<BlockOutcome>
  /** Verifies and queues a transaction; `broadcast: false` when it came from gossip. */
  submitTransaction(
    tx: Transaction,
    options?: { signal?: AbortSignal; broadcast?: boolean },
  ): Promise<{ hash: string }>
  /** True when the block's issuer signed another valid block for its slot first (not to be relayed). */
  isEquivocation(block: Block): boolean
  /** A checker of the header chain from genesis, for a node that joins without a checkpoint. */
  newHeaderChain(): HeaderChain
  /** The highest slot a block may claim now (the clock plus the skew allowed). */
  latestSlot(): number
}

/** Everything a network gets from the node that owns it (as libp2p hands its services their components). */
export interface NetworkComponents {
  genesis: Genesis
  config: NetworkConfig
  /** The node's chain, for serving sync and finding where we stand (throws while the node is stopped). */
  chain(): ChainStore
  intake: ChainIntake
  /** Small records that must survive restarts (the peer identity). */
  records: RecordStore
  /** Per-node logger: components log under `pp:<nodeId>:<component>`. */
  logger: ComponentLogger
}

/** A peer as `getPeers()` reports it. */
export interface PeerInfo {
  id: string
  addr: string
  transport: 'tcp' | 'ws' | 'webrtc' | 'circuit' | 'memory' | 'other'
  direction: 'inbound' | 'outbound'
}

/** What a network tells its node; the node re-dispatches each as its own event. */
export interface ChainNetworkEvents {
  'peer:connect': CustomEvent<{ peer: PeerInfo }>
  'peer:disconnect': CustomEvent<{ id: string }>
  'sync:progress': CustomEvent<{ done: number; total: number }>
  /** Snapshot chunks checked and kept, of how many (see `start({ snapshot })`). */
  'snapshot:progress': CustomEvent<{ done: number; total: number }>
  /** Headers checked, of how many, while the node finds its checkpoint on the header chain (`checkpoint: 'headers'`). */
  'headers:progress': CustomEvent<{ done: number; total: number }>
  /** Something went wrong that the network worked around (no peer had the snapshot: it syncs from genesis). */
  error: CustomEvent<{ error: Error }>
}

/** Where a node joining by snapshot starts, and how long it waits for peers to serve it. */
export interface SnapshotStart {
  /** The block to start from, or 'headers': the settled snapshot point of the header chain checked from genesis. */
  checkpoint: Checkpoint | 'headers'
  deadlineMs: number
}

/** The network as the node sees it. */
export interface ChainNetwork extends TypedEventTarget<ChainNetworkEvents> {
  /**
   * Joins the network; gives up (leaving nothing open) when the signal aborts. With `snapshot`, an
   * empty chain first starts at that checkpoint's state, fetched and checked from peers (no sync
   * runs meanwhile); when no peer has it in time, an `error` event says so and sync starts from genesis.
   */
  start(options?: { signal?: AbortSignal; snapshot?: SnapshotStart }): Promise<void>
  stop(): Promise<void>
  broadcastBlock(block: Block): void
  broadcastTransaction(tx: Transaction): void
  peers(): PeerInfo[]
  /** The highest tip index any peer reported, once one has (tells whether we are behind). */
  bestPeerTip(): number | undefined
}

/** Builds a node's network from the node's components: what `createNode` takes as `network`. */
export type NetworkFactory = (components: NetworkComponents) => ChainNetwork
