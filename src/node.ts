import type { ComponentLogger, Logger } from '@libp2p/interface'
import { prefixLogger } from '@libp2p/logger'
import { TypedEventEmitter } from 'main-event'
import { type NodeConfig, type ResolvedConfig, resolveConfig } from './config.ts'
import { produceBlock } from './consensus/block-producer.ts'
import { BlockValidator } from './consensus/block-validation.ts'
import { prefersCandidate, type TipSummary, tipOf } from './consensus/chain-selection.ts'
import type { ProducerKeys } from './consensus/leader-check.ts'
import { epochOf, slotAt, slotStart } from './consensus/slot-clock.ts'
import { vrfPublicKey } from './crypto/vrf.ts'
import { EarlyBlockHold } from './early-blocks.ts'
import { toHex } from './encoding/hash.ts'
import { ConfigError, NodeNotRunningError, PPError } from './errors.ts'
import { IntakeQueue } from './intake-queue.ts'
import { type Address, addressOf, parseAddress } from './ledger/address.ts'
import { type Block, hashBodies } from './ledger/block.ts'
import { type Adoption, ChainStore } from './ledger/chain-store.ts'
import { UnknownParentError, ValidationError } from './ledger/errors.ts'
import { type Account, accountOf } from './ledger/ledger-state.ts'
import type { Transaction } from './ledger/transaction.ts'
import { blockSignatureChecks, verifyTransactionSignature } from './ledger/verify-signatures.ts'
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
const NETWORK_EVENTS: Array<keyof ChainNetworkEvents> = ['peer:connect', 'peer:disconnect', 'sync:progress']

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
  private keys?: ProducerKeys
  /** What getState tells of the producer (worked out once: the VRF key costs a scalar multiplication). */
  private producerInfo?: { address: Address; vrfKey?: string }
  private tipSummary: TipSummary = { index: 0, vrfOutput: new Uint8Array(0) }
  /** Blocks waiting for their slot to come near. */
  private readonly early: EarlyBlockHold
  /** Chain changes one at a time: the node's own slot work first, peer input bounded and in turn. */
  private readonly intakeQueue = new IntakeQueue()
  private loop?: { controller: AbortController; done: Promise<void> }
  private stopping?: Promise<void>
  /** Full validation of received blocks, with what it remembers between them. */
  private readonly validator: BlockValidator

  constructor(config: NodeConfig, platform: Platform, components: NodeComponents = {}) {
    super()
    this.config = resolveConfig(config)
    this.platform = platform
    this.validator = new BlockValidator(this.config.genesis)
    this.early = new EarlyBlockHold(platform.clock, this.config.genesis, this.config)
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
    await this.stopping
    const { signal } = options
    signal?.throwIfAborted()
    const store = await this.platform.openStore(this.config.storeName)
    this.chain = await ChainStore.open(store, this.genesis)
      .then((chain) => {
        signal?.throwIfAborted()
        return chain
      })
      .catch(async (err) => {
        await store.close()
        throw err
      })
    this.mempool = new Mempool(this.genesis, this.chain.state, this.config.mempoolBytes)
    const tip = await this.chain.getBlock(this.chain.tip.hash)
    if (tip !== undefined) this.tipSummary = tipOf(tip.header)
    const producer = this.config.producer
    if (producer !== undefined) {
      this.keys = {
        secret: producer.secret,
        publicKey: await this.platform.crypto.publicKey(producer.secret),
      }
      if (producer.vrfSecret !== undefined) this.keys.vrfSecret = producer.vrfSecret
      this.producerInfo = {
        address: addressOf(this.keys.publicKey),
        ...(producer.vrfSecret && { vrfKey: toHex(vrfPublicKey(producer.vrfSecret)) }),
      }
    }
    const controller = new AbortController()
    this.loop = { controller, done: Promise.resolve() }
    try {
      await this.network?.start(signal === undefined ? {} : { signal })
      signal?.throwIfAborted()
    } catch (err) {
      // A network that cannot start (a port in use, a bad address) leaves nothing open behind it.
      await this.network?.stop().catch(() => {})
      await this.chain.close()
      this.loop = undefined
      this.chain = undefined
      throw err
    }
    this.loop.done = this.runSlots(controller.signal)
    this.log('started at tip %d %s', this.chain.tip.index, toHex(this.chain.tip.hash).slice(0, 12))
  }

  /** Stops the slot loop and the network, waits for the block in progress, closes the store. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping
    if (this.loop === undefined) return Promise.resolve()
    const { controller, done } = this.loop
    this.stopping = (async () => {
      controller.abort()
      await done
      await this.network?.stop()
      await this.intakeQueue.idle()
      await this.chain?.close()
      this.loop = undefined
      this.chain = undefined
      this.stopping = undefined
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
  async receiveBlock(block: Block, options: IntakeOptions = {}): Promise<BlockOutcome> {
    const { from, signal } = options
    await this.whenDue(block.header.slot, signal)
    await hashBodies([block], this.platform.crypto.digest)
    return this.intakeQueue.run(() => this.intake([block], { from }), { peer: from ?? 'local' }, signal)
  }

  /**
   * Validates a linked run of blocks (each the parent of the next, as sync fetches them) with one
   * signature batch and adds it with one write. When a block in it is invalid, the run is retried
   * block by block so the valid ones before it are kept and the bad one is reported.
   */
  async receiveBlocks(blocks: Block[], options: IntakeOptions = {}): Promise<BlockOutcome> {
    const { from, signal } = options
    await this.whenDue(blocks[blocks.length - 1]?.header.slot ?? 0, signal)
    await hashBodies(blocks, this.platform.crypto.digest)
    const signatures = options.verifyAhead === true ? this.verifyAhead(blocks) : undefined
    return this.intakeQueue.run(
      async () => {
        try {
          return await this.intake(blocks, { from, synced: true, signatures })
        } catch (err) {
          if (blocks.length === 1 || !(err instanceof ValidationError) || err instanceof UnknownParentError)
            throw err
          let outcome: BlockOutcome = 'duplicate'
          for (const [i, block] of blocks.entries())
            outcome = await this.intake([block], {
              from,
              synced: true,
              signatures: signatures?.slice(i, i + 1),
            })
          return outcome
        }
      },
      { peer: from ?? 'local' },
      signal,
    )
  }

  /**
   * Starts verifying a run's signatures before its turn in the queue, once the checks that need no
   * chain state pass (else the run takes the usual path, which reports what is wrong).
   */
  private verifyAhead(blocks: Block[]): Promise<void>[] | undefined {
    try {
      this.validator.checkContents(blocks, this.platform.clock.now() + this.config.clockSkewMs)
    } catch {
      return undefined
    }
    const signatures = blockSignatureChecks(blocks, this.platform.crypto)
    for (const check of signatures) check.catch(() => {}) // each is awaited in turn, or not needed
    return signatures
  }

  /** Waits while a block of `slot` is a little early (see EarlyBlockHold); the node must be running. */
  private whenDue(slot: number, abort?: AbortSignal): Promise<void> {
    abort?.throwIfAborted()
    const running = this.loop?.controller.signal
    if (running === undefined) throw new NodeNotRunningError('receiveBlock')
    return this.early.until(slot, abort === undefined ? running : AbortSignal.any([running, abort]))
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
      ...(this.producerInfo && { producer: this.producerInfo }),
    }
  }

  /** An account's balance, nonce and pool key at the tip (zero for unknown addresses). */
  getAccount(address: string): Account {
    return accountOf(this.requireChain('getAccount').state, parseAddress(address))
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
    // Before any peer answered, a node that has bootstrap peers to ask is behind until they do.
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
      const produced = await this.intakeQueue
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
    if (this.keys === undefined || chain === undefined || this.mempool === undefined) return false
    const block = await produceBlock(
      chain.state,
      slot,
      this.keys,
      this.mempool,
      this.genesis,
      this.platform.crypto,
    )
    if (block === undefined) return false
    this.recordIssued(block)
    this.applyAdoption(await chain.adopt([block]), { produced: true })
    this.network?.broadcastBlock(block)
    this.log('produced block %d in slot %d', block.header.index, slot)
    return true
  }

  private async intake(
    blocks: Block[],
    {
      from,
      synced = false,
      signatures: ahead,
    }: { from?: string | undefined; synced?: boolean; signatures?: Promise<void>[] | undefined },
  ): Promise<BlockOutcome> {
    const started = performance.now()
    const chain = this.requireChain('receiveBlock')
    let fresh = blocks
    while (fresh.length > 0 && (await chain.hasBlock(fresh[0].hash))) fresh = fresh.slice(1)
    if (fresh.length === 0) return 'duplicate'
    const skipped = blocks.length - fresh.length
    const last = fresh[fresh.length - 1]
    try {
      // Cheapest checks first: what each block says about itself, its branch, then signatures
      // (all started at once, each block's awaited before its leadership and ledger rules).
      this.validator.checkContents(fresh, this.platform.clock.now() + this.config.clockSkewMs)
      const branch = [...(await this.validator.branchOf(fresh[0], chain)).slice(0, -1), ...fresh]
      const signatures = ahead?.slice(skipped) ?? blockSignatureChecks(fresh, this.platform.crypto)
      for (const check of signatures) check.catch(() => {}) // each is awaited in turn, or not needed
      const states = await this.validator.validateBranch(branch, fresh.length, chain, signatures)
      for (const block of fresh) this.recordIssued(block, from)
      const ancestor = branch[0].header.index - 1
      const depth = chain.tip.index - ancestor
      if (
        ancestor !== chain.tip.index &&
        !prefersCandidate(this.tipSummary, tipOf(last.header), depth, this.genesis.k)
      ) {
        await chain.putSideBlocks(fresh)
        this.validator.rememberSide(fresh, states.slice(-fresh.length))
        return 'side'
      }
      const adoption = await chain.adoptValidated(branch, states)
      const importMs = (performance.now() - started) / fresh.length
      this.applyAdoption(adoption, { produced: false, synced, importMs, ...(from && { from }) })
      return 'added'
    } catch (err) {
      if (fresh.length === 1 && err instanceof ValidationError && !(err instanceof UnknownParentError)) {
        this.safeDispatchEvent('block:rejected', {
          detail: { hash: toHex(last.hash), index: last.header.index, error: err, ...(from && { from }) },
        })
      }
      throw err
    }
  }

  /** True when the issuer of `block` signed another valid block for its slot first (not to be relayed). */
  isEquivocation(block: Block): boolean {
    return this.validator.isEquivocation(block)
  }

  /** Remembers the first valid block of each (issuer, slot); reports a second one (kept as a fork candidate). */
  private recordIssued(block: Block, from?: string): void {
    const first = this.validator.recordIssued(block)
    if (first === undefined) return
    this.safeDispatchEvent('block:equivocation', {
      detail: {
        issuer: toHex(block.header.issuer),
        slot: block.header.slot,
        hashes: [first, toHex(block.hash)],
        ...(from && { from }),
      },
    })
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
