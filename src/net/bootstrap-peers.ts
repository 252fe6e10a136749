import type { Logger, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import { dialWithRetry } from './dial-retry.ts'

/** How long to wait before redialling a bootstrap peer that dropped, growing to the cap. */
const REDIAL_MIN_MS = 500
const REDIAL_MAX_MS = 30_000

/**
 * Dials a bootstrap peer and redials it with backoff whenever it drops, until `signal` aborts. A
 * peer that keeps closing us soon after we connect (it is full) is not redialled at once.
 */
export async function keepConnected(
  libp2p: Libp2p,
  addr: string,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const target = multiaddr(addr)
  let delay = REDIAL_MIN_MS
  while (!signal.aborted && libp2p.status === 'started') {
    try {
      const connection = await dialWithRetry(libp2p, target, { signal })
      const since = Date.now()
      await closed(libp2p, connection.remotePeer, signal)
      if (Date.now() - since > REDIAL_MAX_MS) delay = REDIAL_MIN_MS
    } catch (err) {
      if (signal.aborted) return
      log('bootstrap %s unreachable: %s', addr, (err as Error).message)
    }
    await sleep(delay + Math.random() * delay, signal)
    delay = Math.min(delay * 2, REDIAL_MAX_MS)
  }
}

/** Resolves when the node has no connection left to `peer`, or when aborted. */
function closed(libp2p: Libp2p, peer: PeerId, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      libp2p.removeEventListener('peer:disconnect', onDisconnect)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const onDisconnect = (event: CustomEvent<PeerId>): void => {
      if (event.detail.equals(peer)) done()
    }
    if (libp2p.getConnections(peer).length === 0) return resolve()
    libp2p.addEventListener('peer:disconnect', onDisconnect)
    signal.addEventListener('abort', done, { once: true })
  })
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
}
