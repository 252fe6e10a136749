// Long work in short pieces: a tab's main thread must never be blocked for long (input, rendering,
// the network all wait on it), and a Node event loop serves peers between the pieces.

/** A scheduler that can yield with priority kept (Chromium's `scheduler.yield`), where there is one. */
type Yielder = { yield?: () => Promise<void> }

/**
 * Lets queued tasks run, as briefly as the platform allows: `scheduler.yield()` (Chromium),
 * `setImmediate` (Node), else a message to itself (timers nested this deep wait at least 4 ms).
 */
export function yieldToEventLoop(): Promise<void> {
  const global = globalThis as { scheduler?: Yielder; setImmediate?: (run: () => void) => unknown }
  if (global.scheduler?.yield) return global.scheduler.yield()
  return new Promise((resolve) => {
    if (global.setImmediate) return void global.setImmediate(resolve)
    const channel = new MessageChannel()
    channel.port1.onmessage = () => {
      channel.port1.close()
      resolve()
    }
    channel.port2.postMessage(undefined)
  })
}

/**
 * A budget of uninterrupted work: `await slice.check()` between steps yields to the event loop
 * once `budgetMs` have passed since the last yield, and costs nothing before.
 */
export class TimeSlice {
  private readonly budgetMs: number
  private since = performance.now()

  constructor(budgetMs = 15) {
    this.budgetMs = budgetMs
  }

  /** Yields when this slice's budget is spent. */
  async check(): Promise<void> {
    if (performance.now() - this.since < this.budgetMs) return
    await yieldToEventLoop()
    this.since = performance.now()
  }
}
