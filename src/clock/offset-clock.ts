import type { Clock } from '../ports.ts'

/**
 * A clock `offsetMs` ahead of `base` (behind when negative): a tab whose system clock is off
 * runs its slots on the time it measured from its relay instead.
 */
export function offsetClock(base: Clock, offsetMs: number): Clock {
  return {
    now: () => base.now() + offsetMs,
    sleepUntil: (at, signal) => base.sleepUntil(at - offsetMs, signal),
  }
}
