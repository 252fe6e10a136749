import { isPrivate } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { offsetClock } from '../../src/clock/offset-clock.ts'
import type { ProducerSecrets } from '../../src/config.ts'
import type { GenesisJson } from '../../src/genesis.ts'
import { createNode, type PPNode } from '../../src/node.ts'
import { RelayUnreachableError } from './errors.ts'
import { browserPlatform } from './index.ts'
import { libp2pNetwork } from './network.ts'

/** How a tab joins the network of one or several relays. */
export interface JoinRelayOptions {
  /** The relay's HTTP address (default: the page's own origin). */
  relay?: string
  /**
   * Several relays' HTTP addresses (instead of `relay`): the genesis and clock come from the
   * first that answers, and the node keeps a connection to every one that does, so it stays on
   * the network when one of them goes away (and reconnects when it comes back).
   */
  relays?: string[]
  /** IndexedDB database name prefix: one per node (default "pp-node-"). */
  prefix?: string
  producer?: ProducerSecrets
  /**
   * Allow private/loopback addresses and ws:// (default: only when the relay itself is on a
   * private or loopback address, i.e. a local devnet; addresses strangers announce are otherwise
   * not dialled).
   */
  allowPrivateAddresses?: boolean
  maxPeers?: number
  /**
   * How far the relay's clock is ahead of ours, in ms; the node runs its slots on the relay's time.
   * Default: measured from the relay's /status (see measureClockOffset). 0 keeps the local clock.
   */
  clockOffsetMs?: number
}

/**
 * How far the relay's clock is ahead of this one (negative: behind), in ms, measured from its
 * /status against the middle of the round trip. Slots are short: a tab off by more than half a
 * slot would see honest blocks as early or late.
 */
export async function measureClockOffset(relay: string): Promise<number> {
  const sent = Date.now()
  const { time } = await getJson<{ time?: unknown }>(`${relay}/status`)
  const received = Date.now()
  if (typeof time !== 'number') throw new RelayUnreachableError(`${relay}/status has no time`)
  return Math.round(time - (sent + received) / 2)
}

/** True for loopback, private and link-local hosts and localhost (as libp2p's own gater judges addresses). */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  const protocol = host.includes(':') ? 'ip6' : /^[\d.]+$/.test(host) ? 'ip4' : 'dns'
  try {
    return isPrivate(multiaddr(`/${protocol}/${host}`))
  } catch {
    return false
  }
}

async function getJson<T>(url: string): Promise<T> {
  let res: Response
  try {
    res = await fetch(url)
  } catch (err) {
    throw new RelayUnreachableError(`cannot reach the relay at ${url}: ${(err as Error).message}`)
  }
  if (!res.ok) throw new RelayUnreachableError(`the relay answered ${res.status} for ${url}`)
  return (await res.json()) as T
}

/** What a relay's HTTP API tells a tab: the chain's genesis and the relay's multiaddrs. */
async function relayInfo(
  base: string,
): Promise<{ base: string; genesis: GenesisJson; multiaddrs: string[] }> {
  const [genesis, bootstrap] = await Promise.all([
    getJson<GenesisJson>(`${base}/genesis`),
    getJson<{ multiaddrs: string[] }>(`${base}/bootstrap`),
  ])
  return { base, genesis, multiaddrs: bootstrap.multiaddrs }
}

/**
 * Creates a browser node on the chain of one or several relays: fetches the genesis and the
 * relays' multiaddrs, stores the chain in IndexedDB. Call `start()` on the result.
 *
 * @example
 * const node = await joinRelay({ relays: ['https://relay-1.example.org', 'https://relay-2.example.org'] })
 * await node.start()
 */
export async function joinRelay(options: JoinRelayOptions = {}): Promise<PPNode> {
  const bases = options.relays ?? [options.relay ?? globalThis.location?.origin ?? '']
  if (bases.length === 0) throw new RelayUnreachableError('joinRelay: no relay given')
  const answers = await Promise.allSettled(bases.map(relayInfo))
  const reached = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []))
  const first = reached[0]
  if (first === undefined)
    throw new RelayUnreachableError(
      answers.map((a) => (a.status === 'rejected' ? (a.reason as Error).message : '')).join('; '),
    )
  // Relays down right now are left out; the node redials the ones it knows when they drop.
  const bootstrapPeers = reached
    .filter((r) => r.genesis.chainId === first.genesis.chainId)
    .flatMap((r) => r.multiaddrs.filter((a) => a.includes('/ws')))
  const offset = options.clockOffsetMs ?? (await measureClockOffset(first.base))
  const local = await browserPlatform(options.prefix === undefined ? {} : { prefix: options.prefix })
  const platform = offset === 0 ? local : { ...local, clock: offsetClock(local.clock, offset) }
  return createNode(
    {
      genesis: first.genesis,
      ...(options.producer && { producer: options.producer }),
      network: {
        enableP2P: true,
        bootstrapPeers,
        allowPrivateAddresses:
          options.allowPrivateAddresses ??
          bases.every((base) => isPrivateHost(new URL(base, globalThis.location?.href).hostname)),
        ...(options.maxPeers !== undefined && { maxPeers: options.maxPeers }),
      },
    },
    platform,
    { network: libp2pNetwork() },
  )
}
