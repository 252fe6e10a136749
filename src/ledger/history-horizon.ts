import { decodeCbor, encodeCbor } from '../encoding/cbor.ts'
import { HistoryPrunedError, StoreCorruptError } from '../errors.ts'
import type { Genesis } from '../genesis.ts'
import type { BatchOp, Store } from '../ports.ts'
import { blockKey, heightKey, indexKey } from './chain-keys.ts'

/** The lowest best-chain block still stored, once history was pruned. */
const HORIZON = 'horizon'
/** Best-chain blocks pruned at most in one adoption's batch: pruning a long history goes in steps. */
const MAX_PRUNED_PER_BATCH = 1_000

/** How much history a chain store keeps. */
export interface HistoryOptions {
  /**
   * Keep at least the last this many epochs of best-chain blocks (as many blocks as the epochs have
   * slots) and delete older ones once settled; undefined keeps the whole history.
   */
  keepEpochs?: number | undefined
}

/**
 * The history a chain store keeps: the lowest best-chain block it still has, and the writes that
 * delete older blocks (with their index entries) as the settled base moves up.
 */
export class HistoryHorizon {
  private readonly store: Store
  /** Best-chain blocks kept at least, when history is pruned. */
  private readonly keepBlocks: number | undefined
  private current: number

  private constructor(store: Store, keepBlocks: number | undefined, current: number) {
    this.store = store
    this.keepBlocks = keepBlocks
    this.current = current
  }

  /** Reads the stored horizon of `store` (1 when nothing was pruned yet). */
  static async open(store: Store, genesis: Genesis, options: HistoryOptions): Promise<HistoryHorizon> {
    const keepBlocks = options.keepEpochs === undefined ? undefined : options.keepEpochs * genesis.epochLength
    const bytes = await store.get(HORIZON)
    return new HistoryHorizon(store, keepBlocks, bytes === undefined ? 1 : decodeHorizon(bytes))
  }

  /** The lowest best-chain block still stored. */
  get lowest(): number {
    return this.current
  }

  /** Throws HistoryPrunedError when best-chain block `from` (or 1, for anything lower) was pruned. */
  requireKept(from: number): void {
    if (Math.max(1, from) < this.current)
      throw new HistoryPrunedError(
        this.current,
        `blocks below ${this.current} are pruned from this node's history (asked from ${from})`,
      )
  }

  /**
   * The horizon for a tip at `tipIndex` over a settled base at `baseIndex`: keepBlocks below the
   * tip, never above the base, at most a batch's worth above the current one.
   */
  next(tipIndex: number, baseIndex: number): number {
    if (this.keepBlocks === undefined) return this.current
    const wanted = Math.min(tipIndex - this.keepBlocks + 1, baseIndex + 1)
    return Math.max(this.current, Math.min(wanted, this.current + MAX_PRUNED_PER_BATCH))
  }

  /** The writes that delete best-chain blocks below `horizon` with their index entries, and record it. */
  async pruneOps(horizon: number): Promise<BatchOp[]> {
    if (horizon <= this.current) return []
    const ops: BatchOp[] = [{ type: 'put', key: HORIZON, value: encodeCbor(horizon) }]
    for await (const [key, hash] of this.store.entries({
      gte: indexKey(this.current),
      lt: indexKey(horizon),
    }))
      ops.push(
        { type: 'del', key },
        { type: 'del', key: heightKey(hash) },
        { type: 'del', key: blockKey(hash) },
      )
    return ops
  }

  /** Takes `horizon` as the lowest block, once its pruning writes are committed. */
  advance(horizon: number): void {
    this.current = Math.max(this.current, horizon)
  }
}

/** The stored horizon record. */
function decodeHorizon(bytes: Uint8Array): number {
  const horizon = (() => {
    try {
      return decodeCbor(bytes, 16, 'history horizon')
    } catch {
      return undefined
    }
  })()
  if (typeof horizon !== 'number' || !Number.isInteger(horizon) || horizon < 1)
    throw new StoreCorruptError('the history horizon record is damaged')
  return horizon
}
