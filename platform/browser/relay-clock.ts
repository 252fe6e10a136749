import { measureClockOffset } from './relay-api.ts'

/** How far a tab's clock may be moved by its relays by default, in slots (see boundClockOffset). */
export const MAX_CLOCK_OFFSET_SLOTS = 3

/** The time a tab runs its slots on, as its relays told it. */
export interface RelayClock {
  /** The offset the node runs on, in ms (within ±maxOffsetMs): how far ahead of this computer's clock. */
  offsetMs: number
  /** What the relays measured (their median), in ms, before bounding; 0 when none answered. */
  measuredMs: number
  /** How many relays' measurements the offset was taken from. */
  relays: number
  /** The bound, in ms. */
  maxOffsetMs: number
  /**
   * True when the measured offset is beyond the bound: this computer's clock is off (or its relays
   * lie) by more than the node corrects; the user should set the clock right.
   */
  beyondBound: boolean
}

/**
 * The offset a tab runs on from several relays' measurements: their median (of an even count, the
 * middle value nearer zero, so one relay of two moves nothing), clamped to ±maxOffsetMs. A relay
 * that lies about the time moves a tab by the bound at most, as it could by a lie within the bound;
 * clamping still corrects most of a clock that is a little beyond it.
 */
export function boundClockOffset(measured: number[], maxOffsetMs: number): RelayClock {
  const sorted = [...measured].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const median =
    sorted.length === 0
      ? 0
      : sorted.length % 2 === 1
        ? sorted[middle]
        : Math.abs(sorted[middle - 1]) <= Math.abs(sorted[middle])
          ? sorted[middle - 1]
          : sorted[middle]
  return {
    offsetMs: Math.max(-maxOffsetMs, Math.min(maxOffsetMs, median)),
    measuredMs: median,
    relays: sorted.length,
    maxOffsetMs,
    beyondBound: Math.abs(median) > maxOffsetMs,
  }
}

/** Measures the clock offset from every relay given (HTTP addresses) at once; see boundClockOffset. */
export async function measureRelayClock(relays: string[], maxOffsetMs: number): Promise<RelayClock> {
  const answers = await Promise.allSettled(relays.map(measureClockOffset))
  return boundClockOffset(
    answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : [])),
    maxOffsetMs,
  )
}
