import type { Logger, PeerId } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { DecodeError, HistoryPrunedError } from '../errors.ts'
import { ForkTooDeepError, UnknownParentError, ValidationError } from '../ledger/errors.ts'
import { RateLimiter } from '../rate-limiter.ts'
import { syncFromPeer } from './chain-sync.ts'
import {
  RequestRefusedError,
  RequestTimeoutError,
  RequestTooSlowError,
  SyncPreemptedError,
  UnbackedTipError,
  WrongChainPeerError,
} from './errors.ts'
import type { Status } from './messages.ts'
import type { NetworkComponents } from './network-components.ts'

/** Syncs running at once, at most (each holds up to two 16 MiB batches). */
const MAX_SYNCS = 4
/** A sync younger than this is never preempted. */
const GRACE_MS = 3_000
/** Past its grace, a sync receiving fewer blocks and fewer bytes per second than these gives way to a waiting peer. */
const MIN_BLOCKS_PER_SECOND = 2
const MIN_BYTES_PER_SECOND = 128 * 1024
/** Peers waiting for a slot, at most. */
const MAX_WAITING = 16
/** How often waiting peers are looked at (a slot freed, a sync stalled past its grace). */
const WAIT_CHECK_MS = 500
/** Announcements of blocks whose parent is unknown, free per peer, refilled at ORPHAN_REFILL_PER_SECOND. */
const ORPHAN_ALLOWANCE = 5
const ORPHAN_REFILL_PER_SECOND = 0.2
/** Share of an offence a slow, empty or unbacked sync costs, and an orphan announcement beyond the allowance. */
const SLOW_WEIGHT = 0.5
const ORPHAN_WEIGHT = 0.2
/** Peers whose orphan allowance is remembered, at most. */
const MAX_ORPHAN_RECORDS = 10_000

/** What the sync scheduler needs from the network layer. */
export interface SyncSchedulerHooks {
  libp2p: Libp2p
  components: NetworkComponents
  /** Aborts when the network stops. */
  signal: AbortSignal
  /** Scores a peer down by `weight` offences. */
  penalise(peer: string, reason: string, weight?: number): void
  /**
   * Blocks the syncs in flight handed to the node so far, of how many; when the last one ends, its
   * closing figures (a sync cut short closes with total = done).
   */
  onProgress(done: number, total: number): void
  /** Blocks `peer` served validated (it is useful: the peer mesh keeps it). */
  served(peer: string): void
  log: Logger
}

interface Running {
  controller: AbortController
  started: number
  blocks: number
  bytes: number
  /** Blocks handed to the node, of how many, once the first run validated. */
  progress?: { done: number; total: number }
}

/**
 * Which syncs run, and what their peers' claims are worth. At most MAX_SYNCS run at once; a peer
 * that finds them all busy waits, and a sync that has received next to nothing past its grace
 * gives its slot to the first waiting peer, so stalled peers cannot keep a peer that serves blocks
 * out. A slow, empty or unbacked answer costs the peer score, as do orphan announcements beyond a
 * small allowance and an orphan whose sync brings nothing. A peer's claimed tip counts toward the
 * best peer tip only once blocks it served validated, and only while it is connected and the claim
 * is not disproven.
 */
export class SyncScheduler {
  private readonly hooks: SyncSchedulerHooks
  private readonly running = new Map<string, Running>()
  /** Runs that reported progress since the last time no sync was running, ended ones included. */
  private readonly reporting = new Set<Running>()
  /** Peers waiting for a slot, first come first served, with the orphan block that made them ask. */
  private readonly waiting = new Map<string, { peer: PeerId; orphan?: Uint8Array | undefined }>()
  /** Tips claimed by connected peers and backed by blocks that validated. */
  private readonly tips = new Map<string, number>()
  /** Free orphan announcements per peer (the allowance). */
  private readonly orphans = new RateLimiter(
    { burst: ORPHAN_ALLOWANCE, intervalMs: 1000 / ORPHAN_REFILL_PER_SECOND },
    { maxKeys: MAX_ORPHAN_RECORDS },
  )
  /** Connected peers that refused blocks as pruned: the lowest block each said it has. */
  private readonly horizons = new Map<string, number>()
  /**
   * What some peer's tip is worth is known: it claimed no more than we have, served blocks that
   * validated, or its sync ended. Until then a node with peers to ask counts as behind.
   */
  private settled = false
  /** While held (a snapshot is being installed), peers wait and no sync starts. */
  private held = false
  private timer?: ReturnType<typeof setTimeout>

  constructor(hooks: SyncSchedulerHooks) {
    this.hooks = hooks
  }

  /** The best tip connected peers have backed; undefined until a first peer's claim is settled. */
  bestTip(): number | undefined {
    return this.settled ? Math.max(0, ...this.tips.values()) : undefined
  }

  /** The lowest block `peer` said it keeps, if it refused blocks as pruned. */
  horizonOf(peer: string): number | undefined {
    return this.horizons.get(peer)
  }

  /** Forgets a peer that disconnected: its claim no longer counts, it waits for no slot. */
  forget(peer: string): void {
    this.tips.delete(peer)
    this.waiting.delete(peer)
    this.horizons.delete(peer)
  }

  /** Holds every sync until release(): peers asking meanwhile wait (and announce orphans uncharged). */
  hold(): void {
    this.held = true
  }

  /** Ends a hold: the waiting peers sync. */
  release(): void {
    this.held = false
    this.pump()
  }

  /** Stops waiting: no sync starts from now on (running ones end with the network's signal). */
  stop(): void {
    clearTimeout(this.timer)
    this.waiting.clear()
  }

  /**
   * Catches up from `peer`: at once when a slot is free, else once one frees or a stalled sync gives
   * way; not from a peer that pruned the blocks after our tip.
   */
  sync(peer: PeerId, orphan?: Uint8Array): void {
    const id = peer.toString()
    if (this.running.has(id) || this.hooks.signal.aborted || !this.canServe(id)) return
    if (this.running.size < MAX_SYNCS && this.waiting.size === 0 && !this.held) {
      this.start(peer, orphan)
      return
    }
    if (!this.waiting.has(id) && this.waiting.size < MAX_WAITING) this.waiting.set(id, { peer, orphan })
    this.pump()
  }

  /**
   * A peer announced a block whose parent we lack: free while we sync from it (we are behind it)
   * or within its allowance, else charged; then we sync from it, and a sync that does not bring the
   * announced block is charged too.
   */
  orphan(peer: PeerId, hash: Uint8Array): void {
    const id = peer.toString()
    if (this.running.has(id)) return
    if (this.held) {
      this.sync(peer, hash)
      return
    }
    if (this.orphans.wait(id) === 0) this.orphans.take(id)
    else this.hooks.penalise(id, 'orphan block announcements beyond the allowance', ORPHAN_WEIGHT)
    this.sync(peer, hash)
  }

  /** Whether `peer` may have the blocks after our tip (it did not say it pruned them). */
  private canServe(peer: string): boolean {
    return (this.horizons.get(peer) ?? 1) <= this.hooks.components.chain().tip.index + 1
  }

  /** After `peer` turned out to have pruned what we need, asks the next connected peer that may have it. */
  private fallBack(peer: string): void {
    for (const connection of this.hooks.libp2p.getConnections()) {
      const id = connection.remotePeer.toString()
      if (id === peer || this.running.has(id) || this.waiting.has(id) || !this.canServe(id)) continue
      this.hooks.log('asking %s for the history %s pruned', id, peer)
      this.sync(connection.remotePeer)
      return
    }
    this.hooks.log('no connected peer is known to keep the history %s pruned', peer)
  }

  /** Starts waiting peers in free slots; while some still wait, has a stalled sync give way. */
  private pump(): void {
    clearTimeout(this.timer)
    if (this.hooks.signal.aborted || this.held) return
    for (const [id, { peer, orphan }] of this.waiting) {
      if (this.running.size >= MAX_SYNCS) break
      this.waiting.delete(id)
      if (this.hooks.libp2p.getConnections(peer).length > 0) this.start(peer, orphan)
    }
    if (this.waiting.size === 0) return
    this.preemptStalled()
    this.timer = setTimeout(() => this.pump(), WAIT_CHECK_MS)
  }

  /** Aborts the least productive sync past its grace, unless one is already giving way. */
  private preemptStalled(): void {
    const now = Date.now()
    let victim: [string, Running] | undefined
    for (const entry of this.running) {
      const run = entry[1]
      if (run.controller.signal.aborted) return
      const seconds = (now - run.started) / 1000
      const stalled =
        now - run.started >= GRACE_MS &&
        run.blocks < MIN_BLOCKS_PER_SECOND * seconds &&
        run.bytes < MIN_BYTES_PER_SECOND * seconds
      if (stalled && (victim === undefined || run.blocks < victim[1].blocks)) victim = entry
    }
    if (victim === undefined) return
    this.hooks.log('sync from %s gives its slot to a waiting peer', victim[0])
    victim[1].controller.abort(new SyncPreemptedError(`sync from ${victim[0]} gave way to a waiting peer`))
  }

  private start(peer: PeerId, orphan?: Uint8Array): void {
    const id = peer.toString()
    const run: Running = { controller: new AbortController(), started: Date.now(), blocks: 0, bytes: 0 }
    this.running.set(id, run)
    let claim: Status['tip'] | undefined
    syncFromPeer(this.hooks.libp2p, this.hooks.components, peer, {
      signal: AbortSignal.any([this.hooks.signal, run.controller.signal]),
      onStatus: (status) => {
        if (status.tip.index <= this.hooks.components.chain().tip.index) this.settled = true
        claim = status.tip
      },
      onBatch: (blocks, bytes) => {
        run.blocks += blocks
        run.bytes += bytes
      },
      onProgress: (done, total) => {
        // Blocks it served validated: its claim counts until the sync ends and says otherwise.
        if (claim !== undefined) this.tips.set(id, claim.index)
        this.settled = true
        this.hooks.served(id)
        run.progress = { done, total }
        this.reporting.add(run)
        this.reportProgress()
      },
    })
      .then(
        () => undefined,
        (err: Error) => err,
      )
      .then((err) => this.settle(peer, run, claim, orphan, err))
      .catch((err: Error) => this.hooks.log('settling the sync from %s failed: %s', id, err.message))
      .finally(() => {
        this.running.delete(id)
        if (run.progress !== undefined && run.progress.done < run.progress.total) {
          run.progress.total = run.progress.done
          this.reportProgress()
        }
        if (this.running.size === 0) this.reporting.clear()
        this.pump()
      })
  }

  /** Sums the progress of the syncs in flight and of those that ended while others ran. */
  private reportProgress(): void {
    let done = 0
    let total = 0
    for (const { progress } of this.reporting) {
      done += progress?.done ?? 0
      total += progress?.total ?? 0
    }
    this.hooks.onProgress(done, total)
  }

  /** Scores a finished sync: bad data is an offence; a slow, empty or unbacked answer costs part of one. */
  private async settle(
    peer: PeerId,
    run: Running,
    claim: Status['tip'] | undefined,
    orphan: Uint8Array | undefined,
    err: Error | undefined,
  ): Promise<void> {
    const id = peer.toString()
    if (err !== undefined) this.hooks.log('sync from %s stopped: %s', id, err.message)
    if (this.hooks.signal.aborted) return
    this.settled = true
    const chain = this.hooks.components.chain()
    const backed =
      claim !== undefined && (chain.tip.index >= claim.index || (await chain.hasBlock(claim.hash)))
    if (backed && this.hooks.libp2p.getConnections(peer).length > 0) this.tips.set(id, claim.index)
    else this.tips.delete(id)
    if (isOffence(err)) return this.hooks.penalise(id, (err as Error).message)
    // Not a fault: the peer keeps less history than we need; another peer may have it.
    if (err instanceof HistoryPrunedError) {
      this.horizons.set(id, err.horizon)
      return this.fallBack(id)
    }
    const preempted = run.controller.signal.aborted
    // A sync cut short by us or the network says nothing about the announced block.
    if (
      orphan !== undefined &&
      !preempted &&
      (err === undefined || isSlowAnswer(err)) &&
      !(await chain.hasBlock(orphan))
    )
      return this.hooks.penalise(id, 'announced a block and did not serve its ancestors', SLOW_WEIGHT)
    const slow = preempted ? run.blocks === 0 : isSlowAnswer(err)
    if (slow && !backed)
      this.hooks.penalise(
        id,
        `claimed tip ${claim?.index ?? '(none)'} and did not serve it: ${err?.message}`,
        SLOW_WEIGHT,
      )
  }
}

/** Whether a failed sync shows the peer sent bad data, rather than a network or local problem. */
function isOffence(err: Error | undefined): boolean {
  if (err instanceof UnknownParentError || err instanceof ForkTooDeepError) return false
  return err instanceof ValidationError || err instanceof DecodeError || err instanceof WrongChainPeerError
}

/** Whether a failed sync shows the peer answered too slowly, with nothing, or refused to serve what it claimed. */
function isSlowAnswer(err: Error | undefined): boolean {
  return (
    err instanceof RequestTimeoutError ||
    err instanceof RequestTooSlowError ||
    err instanceof UnbackedTipError ||
    err instanceof RequestRefusedError
  )
}
