import { BoundedMap } from '../bounded-map.ts'
import { decodeCbor } from '../encoding/cbor.ts'
import { equalBytes, fromHex, toHex } from '../encoding/hash.ts'
import { StoreCorruptError } from '../errors.ts'
import { type Genesis, genesisHash } from '../genesis.ts'
import type { BatchOp, Store } from '../ports.ts'
import { applyBlock } from './apply-block.ts'
import { type Block, decodeBlock, encodeBlock } from './block.ts'
import { blockKey, encodeHeight, heightKey, indexKey, sideKey, snapshotChunkKey } from './chain-keys.ts'
import { epochStakeKey, epochStakeOps } from './epoch-stake.ts'
import { ForkTooDeepError, UnknownParentError } from './errors.ts'
import { genesisState } from './genesis-state.ts'
import { HistoryHorizon, type HistoryOptions } from './history-horizon.ts'
import type { ChainTip, LedgerState } from './ledger-state.ts'
import { baseRecordOp, readBase, settle, settleOps } from './settled-base.ts'
import { SnapshotStaging } from './snapshot-staging.ts'
import { checkStoreMeta } from './store-meta.ts'

/** Blocks between snapshot points: a settled state at a multiple of this is kept to serve as a snapshot. */
export const SNAPSHOT_EVERY = 100

/** How a chain store keeps history and snapshots. */
export interface ChainStoreOptions extends HistoryOptions {
  /** Blocks between the snapshot points it serves (default SNAPSHOT_EVERY). */
  snapshotEvery?: number | undefined
}
/** Where a store of the first format kept whole-state checkpoints (removed when it is upgraded). */
const LEGACY_CHECKPOINTS = 'c/'
const NO_VALUE = new Uint8Array(0)

/** What a chain switch changed: the blocks taken off the best chain and those put on it. */
export interface Adoption {
  rolledBack: Block[]
  applied: Block[]
}

/**
 * The blocks and state of one chain over a platform store. Every block is kept by hash; the best
 * chain is indexed by height; the states of the last k+1 best-chain blocks stay in memory, sharing
 * their accounts as layers (see AccountLayer), so a switch to a fork up to k deep needs no disk
 * reads. The oldest of them is the settled base: its accounts are stored one per key (`a/…`,
 * only those changed since genesis) and the rest of it in `base`. Each adoption is one atomic
 * batch that also writes what became settled, so reopening replays at most k blocks.
 */
export class ChainStore {
  readonly genesis: Genesis
  private readonly store: Store
  /** States of best-chain blocks [tip.index - recent.length + 1 .. tip.index]; the first is the base (set by load). */
  private recent: LedgerState[]
  private readonly history: HistoryHorizon
  /** Settled states kept to serve as snapshots, by block hash: the last two snapshot points. */
  private readonly snapshots = new BoundedMap<string, LedgerState>(2)
  private readonly snapshotEvery: number
  /** Where a snapshot download keeps what it received until it is installed. */
  readonly staging: SnapshotStaging

  private constructor(
    store: Store,
    genesis: Genesis,
    recent: LedgerState[],
    history: HistoryHorizon,
    snapshotEvery: number,
  ) {
    this.store = store
    this.genesis = genesis
    this.recent = recent
    this.history = history
    this.snapshotEvery = snapshotEvery
    this.staging = new SnapshotStaging(store)
  }

  /**
   * Opens the chain in `store`, creating it for `genesis` if empty; refuses a store of another
   * chain. With `history.keepEpochs`, blocks older than that are deleted as the chain grows.
   */
  static async open(store: Store, genesis: Genesis, options: ChainStoreOptions = {}): Promise<ChainStore> {
    await checkStoreMeta(store, genesis)
    const horizon = await HistoryHorizon.open(store, genesis, options)
    const every = options.snapshotEvery ?? SNAPSHOT_EVERY
    const chain = new ChainStore(store, genesis, [], horizon, every)
    await chain.load()
    return chain
  }

  /** The lowest best-chain block this store still has (1 unless history was pruned). */
  get horizon(): number {
    return this.history.lowest
  }

  /** The state after block `hash` if it is a snapshot point this store serves. */
  snapshotAt(hash: Uint8Array): LedgerState | undefined {
    return this.snapshots.get(toHex(hash))
  }

  /** The record of the stake after block `hash`, when it is a settled block that ends its epoch (see epoch-stake.ts). */
  epochStake(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.store.get(epochStakeKey(hash))
  }

  /** The newest snapshot point served: a settled block a joining node can start from. */
  get latestSnapshot(): ChainTip | undefined {
    return [...this.snapshots.values()].at(-1)?.tip
  }

  /**
   * Makes a verified snapshot (`state` after `block`, whose accounts are `chunks`, encoded as
   * received) this empty store's chain, in one batch that also clears the staging area: the
   * accounts are kept as their chunks (a thousand writes, not one per account), and the store
   * keeps no block below it (its history horizon).
   */
  async installSnapshot(block: Block, state: LedgerState, chunks: readonly Uint8Array[]): Promise<void> {
    if (this.tip.index !== 0) throw new StoreCorruptError('a snapshot is installed only into an empty chain')
    const { index } = block.header
    const ops: BatchOp[] = [
      baseRecordOp(state),
      ...chunks.map((value, i): BatchOp => ({ type: 'put', key: snapshotChunkKey(i), value })),
      ...(await this.staging.clearOps()),
      ...(await this.history.pruneOps(index)),
      { type: 'put', key: blockKey(block.hash), value: encodeBlock(block) },
      { type: 'put', key: indexKey(index), value: block.hash },
      { type: 'put', key: heightKey(block.hash), value: encodeHeight(index) },
      { type: 'put', key: 'tip', value: block.hash },
    ]
    await this.store.batch(ops)
    this.recent = [state]
    this.history.advance(index)
    this.snapshots.set(toHex(block.hash), state)
  }

  /** The best chain's tip. */
  get tip(): ChainTip {
    return this.state.tip
  }

  /** The ledger state at the best chain's tip. */
  get state(): LedgerState {
    return this.recent[this.recent.length - 1]
  }

  /** The state after best-chain block `index`, if it is among the last k+1. */
  stateAt(index: number): LedgerState | undefined {
    const base = this.tip.index - this.recent.length + 1
    return index >= base ? this.recent[index - base] : undefined
  }

  /** A stored block by hash (best chain or side branch). */
  async getBlock(hash: Uint8Array): Promise<Block | undefined> {
    const bytes = await this.store.get(blockKey(hash))
    return bytes === undefined ? undefined : this.decodeStored(bytes, hash)
  }

  /** The encoded bytes of a stored block, as stored (for serving peers without re-encoding). */
  getBlockBytes(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.store.get(blockKey(hash))
  }

  /** The height of a block if it is on the best chain (0 for genesis), read from a small index. */
  async heightOnBestChain(hash: Uint8Array): Promise<number | undefined> {
    if (equalBytes(hash, genesisHash(this.genesis))) return 0
    const bytes = await this.store.get(heightKey(hash))
    if (bytes === undefined) return undefined
    const index = (() => {
      try {
        return decodeCbor(bytes, 16, 'block height')
      } catch {
        return undefined
      }
    })()
    if (typeof index !== 'number')
      throw new StoreCorruptError(`the height of block ${toHex(hash).slice(0, 12)} is damaged`)
    const onChain = await this.hashAt(index)
    return onChain !== undefined && equalBytes(onChain, hash) ? index : undefined
  }

  /** The hash of best-chain block `index` (0 is genesis). */
  async hashAt(index: number): Promise<Uint8Array | undefined> {
    if (index === 0) return genesisHash(this.genesis)
    if (index > this.tip.index || index < 0) return undefined
    const recent = this.stateAt(index)
    return recent?.tip.hash ?? (await this.store.get(indexKey(index)))
  }

  /** Best-chain blocks from `from` (≥ 1), at most `count` of them; HistoryPrunedError below the horizon. */
  async getBlocks(from: number, count: number): Promise<Block[]> {
    this.requireKept(from)
    const blocks: Block[] = []
    const last = Math.min(this.tip.index, from + count - 1)
    for (let index = Math.max(1, from); index <= last; index++) {
      const hash = await this.hashAt(index)
      const block = hash && (await this.getBlock(hash))
      if (!block) throw new StoreCorruptError(`best-chain block ${index} is missing from the store`)
      blocks.push(block)
    }
    return blocks
  }

  /** Throws HistoryPrunedError when best-chain block `from` (or 1, for anything lower) was pruned. */
  requireKept(from: number): void {
    this.history.requireKept(from)
  }

  /** True when the block is stored (on any branch). */
  async hasBlock(hash: Uint8Array): Promise<boolean> {
    return (await this.store.get(blockKey(hash))) !== undefined
  }

  /**
   * Stores fully validated blocks that are not (yet) on the best chain. They are pruned once they
   * are more than k below the tip, when no fork through them can be adopted any more.
   */
  async putSideBlocks(blocks: readonly Block[]): Promise<void> {
    await this.store.batch(
      blocks.flatMap((block): BatchOp[] => [
        { type: 'put', key: blockKey(block.hash), value: encodeBlock(block) },
        { type: 'put', key: sideKey(block.header.index, block.hash), value: NO_VALUE },
      ]),
    )
  }

  /**
   * Makes `blocks` (a chain whose first block's parent is on the best chain, at most k below the
   * tip) the new best chain end, applying the ledger rules to each, in one atomic write (consensus
   * rules are checked before, by the caller). Throws the first broken rule, leaving the chain unchanged.
   */
  async adopt(blocks: Block[]): Promise<Adoption> {
    if (blocks.length === 0) return { rolledBack: [], applied: [] }
    const states: LedgerState[] = []
    let state = this.parentState(blocks[0])
    for (const block of blocks) {
      state = applyBlock(state, block, this.genesis)
      states.push(state)
    }
    return this.adoptValidated(blocks, states)
  }

  /** The best-chain state a fork starting with `first` builds on; throws when it is unknown or too deep. */
  parentState(first: Block): LedgerState {
    const { index, prevHash } = first.header
    const parentState = this.stateAt(index - 1)
    if (parentState === undefined && index - 1 >= 0 && index - 1 <= this.tip.index) {
      throw new ForkTooDeepError(
        `switching to this fork would roll back ${this.tip.index - index + 1} blocks; the limit is k = ${this.genesis.k}`,
      )
    }
    if (parentState === undefined || !equalBytes(parentState.tip.hash, prevHash)) {
      throw new UnknownParentError(
        `block ${index}: parent ${toHex(prevHash).slice(0, 12)} is not on the best chain`,
      )
    }
    return parentState
  }

  /**
   * Like adopt, for blocks already validated against their parents: `states[i]` is the state after
   * `blocks[i]`. One atomic write; side blocks too deep to matter any more are pruned in it.
   */
  async adoptValidated(blocks: readonly Block[], states: readonly LedgerState[]): Promise<Adoption> {
    const parentIndex = this.parentState(blocks[0]).tip.index
    const depth = this.tip.index - parentIndex
    const rolledBack = await this.getBlocks(parentIndex + 1, depth)
    const ops: BatchOp[] = []
    for (const block of rolledBack) {
      ops.push({ type: 'del', key: indexKey(block.header.index) })
      ops.push({ type: 'del', key: heightKey(block.hash) })
      ops.push({ type: 'put', key: sideKey(block.header.index, block.hash), value: NO_VALUE })
    }
    for (const block of blocks) {
      ops.push({ type: 'put', key: blockKey(block.hash), value: encodeBlock(block) })
      ops.push({ type: 'put', key: indexKey(block.header.index), value: block.hash })
      ops.push({ type: 'put', key: heightKey(block.hash), value: encodeHeight(block.header.index) })
      ops.push({ type: 'del', key: sideKey(block.header.index, block.hash) })
    }
    const state = states[states.length - 1]
    ops.push({ type: 'put', key: 'tip', value: state.tip.hash })
    // States that fall more than k below the new tip become the settled base, in order.
    const full = [...this.recent.slice(0, this.recent.length - depth), ...states]
    const keep = this.genesis.k + 1
    const settling = full.slice(1, Math.max(1, full.length - keep + 1))
    ops.push(...settleOps(settling), ...epochStakeOps(full[0], settling, this.genesis))
    ops.push(...(await this.pruneOps(state.tip.index)))
    const base = full[Math.max(0, full.length - keep)].tip.index
    const horizon = this.history.next(state.tip.index, base)
    ops.push(...(await this.history.pruneOps(horizon)))
    await this.store.batch(ops)
    for (const s of settling) {
      settle(s)
      if (s.tip.index % this.snapshotEvery === 0) this.snapshots.set(toHex(s.tip.hash), s)
    }
    this.recent = full.slice(-keep)
    this.history.advance(horizon)
    return { rolledBack, applied: [...blocks] }
  }

  /** Deletes side blocks at heights no fork from a tip at `tipIndex` can reach (k or more below it). */
  private async pruneOps(tipIndex: number): Promise<BatchOp[]> {
    const ops: BatchOp[] = []
    const end = tipIndex - this.genesis.k + 1
    if (end < 1) return ops
    for await (const [key] of this.store.entries({ gte: 's/', lt: sideKey(end) })) {
      ops.push(
        { type: 'del', key },
        { type: 'del', key: blockKey(fromHex(key.slice(key.lastIndexOf('/') + 1))!) },
      )
    }
    return ops
  }

  /** Closes the underlying store. */
  close(): Promise<void> {
    return this.store.close()
  }

  /**
   * Restores the settled base (its record and changed accounts) and replays the blocks after it.
   * A store without a base record (written by the first format, with whole-state checkpoints) is
   * replayed from genesis once and upgraded in one batch.
   */
  private async load(): Promise<void> {
    const tipHash = await this.store.get('tip')
    if (tipHash === undefined) {
      this.recent = [genesisState(this.genesis)]
      return
    }
    const tipBlock = await this.getBlock(tipHash)
    if (tipBlock === undefined)
      throw new StoreCorruptError(`the tip block ${toHex(tipHash).slice(0, 12)} is missing`)
    const baseBytes = await this.store.get('base')
    // The genesis state (its accounts tree over every genesis account) only when there is no base.
    let state =
      baseBytes === undefined
        ? genesisState(this.genesis)
        : await readBase(this.store, this.genesis, baseBytes)
    const onChain =
      state.tip.index === 0 ? genesisHash(this.genesis) : await this.store.get(indexKey(state.tip.index))
    if (onChain === undefined || !equalBytes(onChain, state.tip.hash))
      throw new StoreCorruptError(`the settled state at block ${state.tip.index} is not on the best chain`)
    const states = [state]
    for (let index = state.tip.index + 1; index <= tipBlock.header.index; index++) {
      const hash = await this.store.get(indexKey(index))
      const block = hash && (await this.getBlock(hash))
      if (!block) throw new StoreCorruptError(`best-chain block ${index} is missing from the store`)
      try {
        state = applyBlock(state, block, this.genesis)
      } catch (err) {
        throw new StoreCorruptError(`stored block ${index} no longer applies: ${(err as Error).message}`, {
          cause: err,
        })
      }
      states.push(state)
    }
    if (!equalBytes(state.tip.hash, tipHash))
      throw new StoreCorruptError('the stored tip is not the end of the best chain')
    const settling = states.slice(1, Math.max(1, states.length - this.genesis.k))
    if (baseBytes === undefined) {
      const ops = settleOps(settling)
      for (let index = 1; index <= tipBlock.header.index; index++) {
        const hash = (await this.store.get(indexKey(index)))!
        ops.push({ type: 'put', key: heightKey(hash), value: encodeHeight(index) })
      }
      for await (const [key] of this.store.entries({ prefix: LEGACY_CHECKPOINTS }))
        ops.push({ type: 'del', key })
      await this.store.batch(ops)
    }
    for (const s of settling) settle(s)
    this.recent = states.slice(-(this.genesis.k + 1))
    // The settled base serves as a snapshot from the start (a node restarted is a source at once).
    if (this.recent[0].tip.index > 0) this.snapshots.set(toHex(this.recent[0].tip.hash), this.recent[0])
  }

  private decodeStored(bytes: Uint8Array, hash: Uint8Array): Block {
    let block: Block
    try {
      block = decodeBlock(bytes)
    } catch (err) {
      throw new StoreCorruptError(
        `stored block ${toHex(hash).slice(0, 12)} is damaged: ${(err as Error).message}`,
      )
    }
    if (!equalBytes(block.hash, hash))
      throw new StoreCorruptError(`stored block ${toHex(hash).slice(0, 12)} has a different hash`)
    return block
  }
}
