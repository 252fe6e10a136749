import { slotStart } from './consensus/slot-clock.ts'
import { IntakeFullError } from './errors.ts'
import type { Genesis } from './genesis.ts'
import type { Clock } from './ports.ts'

/** Early blocks held at most at once. */
const MAX_HELD = 256

/**
 * Holds blocks that arrive a little before their slot: a peer whose clock runs a little fast is
 * not punished for it. Blocks further ahead than `holdAheadMs` pass at once (and are refused as
 * FUTURE_SLOT); at most MAX_HELD wait at a time.
 */
export class EarlyBlockHold {
  private held = 0
  private readonly clock: Clock
  private readonly genesis: Genesis
  private readonly skewMs: number
  private readonly holdAheadMs: number

  constructor(clock: Clock, genesis: Genesis, limits: { clockSkewMs: number; holdAheadMs: number }) {
    this.clock = clock
    this.genesis = genesis
    this.skewMs = limits.clockSkewMs
    this.holdAheadMs = limits.holdAheadMs
  }

  /**
   * Resolves once a block of `slot` is no more than clockSkewMs ahead of the clock (at once when
   * it already is, or is too far ahead to hold); rejects with the reason when `signal` aborts.
   */
  async until(slot: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    const due = slotStart(this.genesis, slot) - this.skewMs
    const ahead = due - this.clock.now()
    if (ahead <= 0 || ahead > this.holdAheadMs - this.skewMs) return
    if (this.held >= MAX_HELD)
      throw new IntakeFullError(`${this.held} early blocks are waiting for their slot`)
    this.held++
    try {
      await this.clock.sleepUntil(due, signal)
    } finally {
      this.held--
    }
  }
}
