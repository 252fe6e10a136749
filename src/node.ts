import type { ComponentLogger, Logger } from '@libp2p/interface'
import { prefixLogger } from '@libp2p/logger'
import { TypedEventEmitter } from 'main-event'
import { BlockIntake } from './block-intake.ts'
import { type NodeConfig, type ResolvedConfig, resolveConfig } from './config.ts'
import { produceBlock } from './consensus/block-producer.ts'
import { type TipSummary, tipOf } from './consensus/chain-selection.ts'
import { HeaderChain } from './consensus/header-chain.ts'
import { producerKeys } from './consensus/producer-keys.ts'
import { epochOf, slotAt, slotStart } from './consensus/slot-clock.ts'
import { toHex } from './encoding/hash.ts'
import { ConfigError, NodeNotRunningError, NoStateRootError, PPError } from './errors.ts'
import { parseAddress } from './ledger/address.ts'
import { type Block, STATE_ROOT_VERSION } from './ledger/block.ts'
import { type Adoption, ChainStore } from './ledger/chain-store.ts'
import { type Account, accountOf } from './ledger/ledger-state.ts'
import { type ProvenAccount, provenAccount } from './ledger/proven-account.ts'
import type { Transaction } from './ledger/transaction.ts'
import { verifyTransactionSignature } from './ledger/verify-signatures.ts'
import { Mempool } from './mempool.ts'
import type {
  BlockOutcome,
  ChainIntake,
  ChainNetwork,
  ChainNetworkEvents,
  IntakeOptions,
  NetworkFactory,
  PeerInfo,
} from './net/network-components.ts'
import type { BlockAdded, NodeStatus, PPNodeEvents } from './node-api.ts'
import type { Platform } from './ports.ts'

export type { BlockOutcome, NetworkFactory, PeerInfo } from './net/network-components.ts'
export type { BlockAdded, NodeStatus, PPNodeEvents } from './node-api.ts'

/** The parts a node is built from besides its configuration and platform. */
export interface NodeComponents {
  /** The network to join when `network.enableP2P` is true, e.g. `libp2pNetwork()`. */
  network?: NetworkFactory
  /** Where the node and its network log (default: `pp:<nodeId>:<component>` debug namespaces). */
  logger?: ComponentLogger
}

/** The network events a node passes on as its own. */
const NETWORK_EVENTS: Array<keyof ChainNetworkEvents> = [
  'peer:connect',
  'peer:disconnect',
  'sync:progress',
  'snapshot:progress',
  'headers:progress',
  'error',
]

/**
 * A full node: a ledger, Ouroboros consensus, a transaction queue and (optionally) the network.
 * `start()` opens the chain and runs the slot loop; blocks, produced or received, go through one
 * queue so the chain changes one block at a time.
 */
export class PPNode extends TypedEventEmitter<PPNodeEvents> implements ChainIntake {
  readonly config: ResolvedConfig
  readonly platform: Platform
  readonly network?: ChainNetwork
  /** The node's logger; its components log under `pp:<nodeId>:<component>`. */
  readonly logger: ComponentLogger
  private readonly log: Logger
  private chain?: ChainStore
  private mempool?: Mempool
  /** The producer's keys, and what getState tells of it. */
  private producer?: Awaited<ReturnType<typeof producerKeys>>
  private tipSummary: TipSummary = { index: 0, vrfOutput: new Uint8Array(0) }
  /** Received blocks on their way in; the node's own slot work goes through its queue too. */
  private readonly blocks: BlockIntake
  private loop?: { controller: AbortController; done: Promise<void> }
  private stopping?: Promise<void>

  constructor(config: NodeConfig, platform: Platform, components: NodeComponents = {}) {
    super()
    this.config = resolveConfig(config)
    this.platform = platform
    this.blocks = new BlockIntake({
      config: this.config,
      platform,
      requireChain: (what) => this.requireChain(what),
      runningSignal: () => this.loop?.controller.signal,
      tip: () => this.tipSummary,
      applyAdoption: (adoption, how) => this.applyAdoption(adoption, how),
      emit: (type, detail) => this.safeDispatchEvent(type, { detail }),
    })
    this.logger = components.logger ?? prefixLogger(`pp:${this.config.network.nodeId}`)
    this.log = this.logger.forComponent('node')
    if (!this.config.network.enableP2P) return
    if (components.network === undefined)
      throw new ConfigError(
        'network.enableP2P needs a network: createNode(config, platform, { network: libp2pNetwork() })',
      )
    const network = components.network({
      genesis: this.genesis,
      config: this.config.network,
      chain: () => this.chainStore,
      intake: this,
      records: platform.records,
      logger: this.logger,
    })
    for (const type of NETWORK_EVENTS)
      network.addEventListener(type, (event) =>
        this.safeDispatchEvent(type, { detail: (event as CustomEvent).detail }),
      )
    this.network = network
  }

  /** The chain's parameters. */
  get genesis(): ResolvedConfig['genesis'] {
    return this.config.genesis
  }

  /** True between start() and stop(). */
  get running(): boolean {
    return this.loop !== undefined
  }

  /**
   * Opens the chain store, starts the network (if enabled) and the slot loop. When `signal`
   * aborts before it is done, everything opened so far is closed and it rejects with the reason.
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.loop !== undefined) return
    // A stop that failed still released everything: its error is the stop caller's, not ours.
    await this.stopping?.catch(() => {})
    const { signal } = options
    signal?.throwIfAborted()
    const store = await this.platform.openStore(this.config.storeName)
    this.chain = await ChainStore.open(store, this.genesis, {
      keepEpochs: this.config.keepEpochs,
      snapshotEvery: this.config.snapshotEvery,
    })
      .then((chain) => {
        signal?.throwIfAborted()
        return chain
      })
      .catch(async (err) => {
        await store.close()
        throw err
      })
    await this.followTip(this.chain)
    if (this.config.producer !== undefined)
      this.producer = await producerKeys(this.config.producer, this.platform.crypto)
    const controller = new AbortController()
    this.loop = { controller, done: Promise.resolve() }
    try {
      const { checkpoint, snapshotDeadlineMs } = this.config
      const snapshot =
        checkpoint !== undefined && this.chain.tip.index === 0
          ? { checkpoint, deadlineMs: snapshotDeadlineMs }
          : undefined
      await this.network?.start({ ...(signal && { signal }), ...(snapshot && { snapshot }) })
      signal?.throwIfAborted()
      if (snapshot !== undefined && this.chain.tip.index > 0) {
        await this.followTip(this.chain)
        this.log('joined at the snapshot of block %d', this.chain.tip.index)
      }
    } catch (err) {
      // A network that cannot start (a port in use, a bad address) leaves nothing open behind it.
      await this.network?.stop().catch(() => {})
      await this.chain
        .close()
        .catch((closeErr: Error) => this.log.error('start: close: %s', closeErr.message))
      this.loop = undefined
      this.chain = undefined
      throw err
    }
    this.loop.done = this.runSlots(controller.signal)
    this.log('started at tip %d %s', this.chain.tip.index, toHex(this.chain.tip.hash).slice(0, 12))
  }

  /** A mempool and tip summary for the chain's tip (at start, and after a snapshot was installed). */
  private async followTip(chain: ChainStore): Promise<void> {
    const { mempoolBytes, mempoolPerSender } = this.config
    this.mempool = new Mempool(this.genesis, chain.state, mempoolBytes, mempoolPerSender)
    const tip = await chain.getBlock(chain.tip.hash)
    if (tip !== undefined) this.tipSummary = tipOf(tip.header)
  }

  /**
   * Stops the slot loop and the network, waits for the block in progress, closes the store.
   * Idempotent. Every step runs even when one before it fails (the first failure is then thrown),
   * so a stopped node holds nothing and can start again.
   */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping
    if (this.loop === undefined) return Promise.resolve()
    const { controller, done } = this.loop
    this.stopping = (async () => {
      let failure: { error: unknown } | undefined
      const step = async (run: () => Promise<void> | undefined): Promise<void> => {
        try {
          await run()
        } catch (error) {
          this.log.error('stop: %s', error instanceof Error ? error.message : String(error))
          failure ??= { error }
        }
      }
      controller.abort()
      try {
        await step(() => done)
        await step(() => this.network?.stop())
        await step(() => this.blocks.queue.idle())
        await step(() => this.chain?.close())
      } finally {
        this.loop = undefined
        this.chain = undefined
        this.stopping = undefined
      }
      if (failure !== undefined) throw failure.error
    })()
    return this.stopping
  }

  /** Verifies a signed transaction and queues it for a block; rejects with the reason it is invalid. */
  async submitTransaction(
    tx: Transaction,
    options: { signal?: AbortSignal; broadcast?: boolean } = {},
  ): Promise<{ hash: string }> {
    const mempool = this.mempool
    if (mempool === undefined || !this.running) throw new NodeNotRunningError('submitTransaction')
    options.signal?.throwIfAborted()
    const hash = toHex(tx.hash)
    try {
      // Ledger checks first: a transaction that could not be admitted anyway costs no verification.
      mempool.check(tx)
      await verifyTransactionSignature(tx, this.platform.crypto)
      mempool.add(tx)
    } catch (err) {
      if (err instanceof PPError) this.safeDispatchEvent('tx:rejected', { detail: { hash, error: err } })
      throw err
    }
    this.safeDispatchEvent('tx:accepted', { detail: { tx } })
    if (options.broadcast !== false) this.network?.broadcastTransaction(tx)
    return { hash }
  }

  /**
   * Validates a block (signatures, leader eligibility, slot, ledger rules) and adds it, switching
   * to its branch when chain selection prefers it. Throws the broken rule, or UnknownParentError
   * when its ancestors must be fetched first.
   */
  receiveBlock(block: Block, options: IntakeOptions = {}): Promise<BlockOutcome> {
    return this.blocks.receiveBlock(block, options)
  }

  /**
   * Validates a linked run of blocks (each the parent of the next, as sync fetches them) with one
   * signature batch and adds it with one write. When a block in it is invalid, the run is retried
   * block by block so the valid ones before it are kept and the bad one is reported.
   */
  receiveBlocks(blocks: Block[], options: IntakeOptions = {}): Promise<BlockOutcome> {
    return this.blocks.receiveBlocks(blocks, options)
  }

  /** True when the issuer of `block` signed another valid block for its slot first (not to be relayed). */
  isEquivocation(block: Block): boolean {
    return this.blocks.isEquivocation(block)
  }

  /** A checker of the header chain from genesis, whose checkpoints fall on this node's snapshot points. */
  newHeaderChain(): HeaderChain {
    return new HeaderChain(this.genesis, this.platform.crypto, this.config.snapshotEvery)
  }

  /** The highest slot a block may claim now: the clock plus the skew allowed. */
  latestSlot(): number {
    return slotAt(this.genesis, this.platform.clock.now() + this.config.clockSkewMs)
  }

  /** Where the node stands now. */
  getState(): NodeStatus {
    const chain = this.requireChain('getState')
    const now = this.platform.clock.now()
    const slot = slotAt(this.genesis, now)
    return {
      chainId: this.genesis.chainId,
      nodeId: this.config.network.nodeId,
      slot,
      epoch: epochOf(this.genesis, Math.max(slot, 0)),
      tip: { index: chain.tip.index, slot: chain.tip.slot, hash: toHex(chain.tip.hash) },
      mempool: { transactions: this.mempool?.size ?? 0, bytes: this.mempool?.sizeBytes ?? 0 },
      peers: this.getPeers().length,
      syncing: this.isSyncing(chain.tip.index),
      ...(this.producer && { producer: this.producer.info }),
    }
  }

  /** An account's balance, nonce and pool key at the tip (zero for unknown addresses). */
  getAccount(address: string): Account {
    return accountOf(this.requireChain('getAccount').state, parseAddress(address))
  }

  /**
   * The tip's account of `address` (or its absence) with a proof against the tip's state root, which
   * the tip's header carries: what a light wallet checks with verifyAccountProof.
   */
  getAccountProof(address: string): ProvenAccount {
    const chain = this.requireChain('getAccountProof')
    if (this.genesis.protocolVersion < STATE_ROOT_VERSION)
      throw new NoStateRootError(
        `chain ${this.genesis.chainId} is of protocol version 1: its headers carry no state root`,
      )
    return provenAccount(chain.state, parseAddress(address))
  }

  /** The nonce the next transaction from `address` must carry, counting pending ones. */
  nextNonce(address: string): number {
    if (this.mempool === undefined) throw new NodeNotRunningError('nextNonce')
    return this.mempool.projectedAccount(parseAddress(address)).nonce
  }

  /** The connected peers with their transport and direction (empty when P2P is off). */
  getPeers(): PeerInfo[] {
    return this.network?.peers() ?? []
  }

  /** The chain store (for the network's sync server and the HTTP API). */
  get chainStore(): ChainStore {
    return this.requireChain('chainStore')
  }

  private isSyncing(tipIndex: number): boolean {
    if (this.network === undefined) return false
    const best = this.network.bestPeerTip()
    // Until a first peer's claim is settled, a node that has bootstrap peers to ask is behind.
    if (best === undefined) return this.config.network.bootstrapPeers.length > 0
    return tipIndex < best
  }

  private requireChain(what: string): ChainStore {
    if (this.chain === undefined) throw new NodeNotRunningError(what)
    return this.chain
  }

  private async runSlots(signal: AbortSignal): Promise<void> {
    const { clock } = this.platform
    let last = slotAt(this.genesis, clock.now()) - 1
    while (!signal.aborted) {
      try {
        await clock.sleepUntil(slotStart(this.genesis, last + 1), signal)
      } catch {
        return
      }
      // A slot whose moment passed while we were throttled or busy is skipped, never produced late.
      const slot = slotAt(this.genesis, clock.now())
      if (slot <= last) continue
      last = slot
      const produced = await this.blocks.queue
        .run(() => this.produce(slot), { own: true })
        .catch((error: Error) => {
          this.log.error('slot %d failed: %s', slot, error.message)
          this.safeDispatchEvent('error', { detail: { error } })
          return false
        })
      this.safeDispatchEvent('slot', { detail: { slot, epoch: epochOf(this.genesis, slot), produced } })
    }
  }

  private async produce(slot: number): Promise<boolean> {
    const chain = this.chain
    const keys = this.producer?.keys
    if (keys === undefined || chain === undefined || this.mempool === undefined) return false
    const block = await produceBlock(
      chain.state,
      slot,
      keys,
      this.mempool,
      this.genesis,
      this.platform.crypto,
    )
    if (block === undefined) return false
    this.blocks.recordIssued(block)
    this.applyAdoption(await chain.adopt([block]), { produced: true })
    this.network?.broadcastBlock(block)
    this.log('produced block %d in slot %d', block.header.index, slot)
    return true
  }

  private applyAdoption(adoption: Adoption, how: Omit<BlockAdded, 'block'>): void {
    const chain = this.chain!
    const last = adoption.applied[adoption.applied.length - 1]
    const oldTip = this.tipSummary
    this.tipSummary = tipOf(last.header)
    const returned = adoption.rolledBack.flatMap((b) => b.txs)
    this.mempool?.revalidate(chain.state, returned)
    if (adoption.rolledBack.length > 0) {
      this.safeDispatchEvent('chain:reorg', {
        detail: {
          depth: adoption.rolledBack.length,
          fromIndex: oldTip.index,
          toIndex: last.header.index,
          toHash: toHex(last.hash),
        },
      })
    }
    for (const block of adoption.applied) this.safeDispatchEvent('block:added', { detail: { block, ...how } })
  }
}

/**
 * Creates a node from a configuration, a platform (`await createPlatform(...)`) and, to join a
 * network (`network.enableP2P`), a network component such as `libp2pNetwork()`.
 */
export function createNode(config: NodeConfig, platform: Platform, components: NodeComponents = {}): PPNode {
  return new PPNode(config, platform, components)
}
