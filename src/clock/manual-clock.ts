import type { Clock } from '../ports.ts'

interface Sleeper {
  at: number
  resolve: () => void
}

/** A clock that only moves when told to: tests and the simulator drive slots with it. */
export class ManualClock implements Clock {
  private time: number
  private sleepers: Sleeper[] = []

  constructor(start = 0) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (at <= this.time) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = { at, resolve }
      this.sleepers.push(sleeper)
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper)
          reject(signal.reason)
        },
        { once: true },
      )
    })
  }

  /** Moves time to `at` (never backwards) and wakes every sleeper whose moment has come. */
  set(at: number): void {
    this.time = Math.max(this.time, at)
    const due = this.sleepers.filter((s) => s.at <= this.time)
    this.sleepers = this.sleepers.filter((s) => s.at > this.time)
    for (const s of due) s.resolve()
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.set(this.time + ms)
  }

  /** How many callers are waiting for time to pass (lets tests wait until a loop is parked). */
  get waiting(): number {
    return this.sleepers.length
  }
}
