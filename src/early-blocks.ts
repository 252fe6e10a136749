import { MAX_VARIANTS } from './consensus/block-validation.ts'
import { TooManyVariantsError } from './consensus/errors.ts'
import { slotStart } from './consensus/slot-clock.ts'
import { IntakeFullError } from './errors.ts'
import type { Genesis } from './genesis.ts'
import type { Clock } from './ports.ts'

/** How long blocks may be held, and how many. */
export interface EarlyHoldLimits {
  /** How far ahead of the clock a block may be when it is processed. */
  clockSkewMs: number
  /** Blocks further ahead than this are not held. */
  holdAheadMs: number
  /** Blocks held at most at once, from all peers (default 256). */
  maxHeld?: number
  /** Blocks held at most for one peer (default 8: an honest one relays about one a slot). */
  maxPerPeer?: number
  /** Bytes held at most at once (default 16 MiB, or four of the chain's largest blocks if more). */
  maxBytes?: number
}

/** An early block (or run ending in one) as the hold sees it. */
export interface EarlyBlock {
  /** Who sent it: a peer id, or 'local'. */
  peer: string
  slot: number
  /** Encoded size of the block (or run). */
  bytes: number
  /** Issuer and slot: at most MAX_VARIANTS different blocks of each are held. */
  variant: string
  /** The block's hash (hex): the same block twice counts once among its variants. */
  hash: string
}

interface Held extends EarlyBlock {
  /** Aborted when the block is dropped to make room. */
  drop: AbortController
}

/**
 * Holds blocks that arrive a little before their slot: a peer whose clock runs a little fast is
 * not punished for it. Blocks further ahead than `holdAheadMs` pass at once (and are refused as
 * FUTURE_SLOT). The caller checks what needs no chain state (contents, header signature, issuer)
 * first. Bounded per peer, per (issuer, slot), in count and in bytes; when full, the newest block
 * of the peer holding the most bytes makes room, so junk from some peers cannot crowd out another's.
 */
export class EarlyBlockHold {
  private readonly held: Held[] = []
  private bytes = 0
  private readonly clock: Clock
  private readonly genesis: Genesis
  private readonly skewMs: number
  private readonly holdAheadMs: number
  private readonly maxHeld: number
  private readonly maxPerPeer: number
  private readonly maxBytes: number

  constructor(clock: Clock, genesis: Genesis, limits: EarlyHoldLimits) {
    this.clock = clock
    this.genesis = genesis
    this.skewMs = limits.clockSkewMs
    this.holdAheadMs = limits.holdAheadMs
    this.maxHeld = limits.maxHeld ?? 256
    this.maxPerPeer = limits.maxPerPeer ?? 8
    this.maxBytes = limits.maxBytes ?? Math.max(16 * 1024 * 1024, 4 * genesis.maxBlockBytes)
  }

  /** True when a block of `slot` is to be held: further ahead than the skew allowance, within the hold. */
  isEarly(slot: number): boolean {
    const ahead = this.due(slot) - this.clock.now()
    return ahead > 0 && ahead <= this.holdAheadMs - this.skewMs
  }

  /** The latest moment a held block may claim. */
  horizon(): number {
    return this.clock.now() + this.holdAheadMs
  }

  /**
   * Resolves once `block` is no more than clockSkewMs ahead of the clock (at once when it is not
   * early); rejects with IntakeFullError or TooManyVariantsError when it cannot be held or is
   * dropped to make room, and with the reason when `signal` aborts.
   */
  async hold(block: EarlyBlock, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    if (!this.isEarly(block.slot)) return
    this.admit(block)
    const held: Held = { ...block, drop: new AbortController() }
    this.held.push(held)
    this.bytes += held.bytes
    try {
      await this.clock.sleepUntil(this.due(block.slot), AbortSignal.any([signal, held.drop.signal]))
    } finally {
      this.release(held)
    }
  }

  private due(slot: number): number {
    return slotStart(this.genesis, slot) - this.skewMs
  }

  /** Throws when `block` may not be held; drops the newest blocks of the heaviest peer to make room. */
  private admit(block: EarlyBlock): void {
    const mine = this.held.filter((h) => h.peer === block.peer)
    if (mine.length >= this.maxPerPeer)
      throw new IntakeFullError(`peer ${block.peer} has ${mine.length} early blocks waiting already`)
    const variants = new Set(this.held.filter((h) => h.variant === block.variant).map((h) => h.hash))
    if (!variants.has(block.hash) && variants.size >= MAX_VARIANTS)
      throw new TooManyVariantsError(
        `${variants.size} other early blocks of the same issuer for slot ${block.slot} are waiting already`,
      )
    const mineBytes = mine.reduce((sum, h) => sum + h.bytes, 0) + block.bytes
    // A lone block (or sync run) over the byte bound is still held: the decoder's limits bound it.
    while (
      this.held.length >= this.maxHeld ||
      (this.held.length > 0 && this.bytes + block.bytes > this.maxBytes)
    ) {
      const weights = new Map<string, number>()
      for (const h of this.held) weights.set(h.peer, (weights.get(h.peer) ?? 0) + h.bytes)
      const [heaviest, weight] = [...weights].reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0])
      if (heaviest === block.peer || weight <= mineBytes)
        throw new IntakeFullError(
          `the early-block hold is full (${this.held.length} blocks, ${this.bytes} bytes)`,
        )
      const newest = this.held.findLast((h) => h.peer === heaviest)!
      this.release(newest)
      newest.drop.abort(
        new IntakeFullError(`dropped: the early-block hold is full and ${heaviest} holds the most`),
      )
    }
  }

  private release(held: Held): void {
    const at = this.held.indexOf(held)
    if (at < 0) return
    this.held.splice(at, 1)
    this.bytes -= held.bytes
  }
}
