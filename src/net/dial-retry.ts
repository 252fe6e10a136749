import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'

/** How a dial is retried. */
export interface DialRetryOptions {
  signal?: AbortSignal
  attempts?: number
  firstDelayMs?: number
  maxDelayMs?: number
}

/**
 * Dials with bounded retries, exponential backoff and jitter: WebRTC dials between tabs fail a few
 * per cent of the time on a race in the signalling, and peers restart.
 */
export async function dialWithRetry(
  libp2p: Libp2p,
  target: PeerId | Multiaddr,
  options: DialRetryOptions = {},
): Promise<Connection> {
  const attempts = options.attempts ?? 5
  let delay = options.firstDelayMs ?? 250
  for (let attempt = 1; ; attempt++) {
    try {
      return await libp2p.dial(target, options.signal ? { signal: options.signal } : {})
    } catch (err) {
      if (attempt >= attempts || options.signal?.aborted) throw err
    }
    await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * delay))
    delay = Math.min(delay * 2, options.maxDelayMs ?? 5000)
  }
}
