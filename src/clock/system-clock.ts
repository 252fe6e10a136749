import type { Clock } from '../ports.ts'

/** The real clock: `Date.now()` and timers, available in Node and browsers alike. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = (): void => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        Math.max(0, at - Date.now()),
      )
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  },
}
