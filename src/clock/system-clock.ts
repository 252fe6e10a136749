import type { Clock } from '../ports.ts'

/** The real clock: `Date.now()` and timers, available in Node and browsers alike. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      let timer: ReturnType<typeof setTimeout>
      const onAbort = (): void => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      // Timers may fire a millisecond before Date.now() reaches `at` (browsers round them): re-arm.
      const arm = (): void => {
        const wait = at - Date.now()
        if (wait > 0) {
          timer = setTimeout(arm, wait)
          return
        }
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      arm()
    })
  },
}
