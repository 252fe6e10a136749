import { isPrivate } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { offsetClock } from '../../src/clock/offset-clock.ts'
import type { ProducerSecrets } from '../../src/config.ts'
import type { GenesisJson } from '../../src/genesis.ts'
import { createNode, type PPNode } from '../../src/node.ts'
import { RelayUnreachableError } from './errors.ts'
import { browserPlatform } from './index.ts'
import { libp2pNetwork } from './network.ts'
import { getJson, measureClockOffset, SECURE_PAGE } from './relay-api.ts'

/** Peers a tab seeks, and keeps at most (relays not counted): a bounded mesh of tabs. */
const TAB_TARGET_PEERS = 6
const TAB_MAX_PEERS = 12

/** How a tab joins the network of one or several relays. */
export interface JoinRelayOptions {
  /** The relay's HTTP address (default: the page's own origin). */
  relay?: string
  /**
   * Several relays (instead of `relay`), each an HTTP address or a multiaddr: the genesis and
   * clock come from the first HTTP relay that answers, and the node keeps a connection to every
   * relay, so it stays on the network when one goes away (and reconnects when it comes back).
   * A page served over https cannot call a relay's plain-http API nor open ws://: give it the
   * relays' WebRTC-Direct multiaddrs (`/…/udp/…/webrtc-direct/certhash/…/p2p/…`) and `genesis`.
   */
  relays?: string[]
  /** The chain's genesis, when no relay's HTTP API can be asked for it (multiaddr relays only). */
  genesis?: GenesisJson
  /** IndexedDB database name prefix: one per node (default "pp-node-"). */
  prefix?: string
  producer?: ProducerSecrets
  /**
   * Allow private/loopback addresses and ws:// (default: only when the relay itself is on a
   * private or loopback address, i.e. a local devnet; addresses strangers announce are otherwise
   * not dialled).
   */
  allowPrivateAddresses?: boolean
  /**
   * Other tabs and nodes this tab dials, through the relays, up to (default 6; relays are not
   * counted). Measured with 20 tabs on one relay (test/tab-mesh.node.spec.ts): at 6 every tab
   * holds 6–12 WebRTC peers and every block reaches every tab in at most 3 hops.
   */
  targetPeers?: number
  /** Direct peers kept at most, relays not counted (default 12): more are closed, newest first. */
  maxPeers?: number
  /**
   * How far the relay's clock is ahead of ours, in ms; the node runs its slots on the relay's time.
   * Default: measured from the relay's /status (see measureClockOffset). 0 keeps the local clock.
   */
  clockOffsetMs?: number
  /**
   * Whether the page is served over https, so plain ws:// cannot be dialled (default: this page's
   * protocol; a node in a worker is told its page's).
   */
  securePage?: boolean
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

/**
 * The addresses a tab can dial: WebSocket ones, and WebRTC-Direct ones — only those when the page
 * is served over https and the WebSocket is plain ws:// (blocked as mixed content there).
 */
function dialable(multiaddrs: string[], securePage: boolean): string[] {
  const direct = multiaddrs.filter((a) => a.includes('/webrtc-direct/'))
  const ws = multiaddrs.filter(
    (a) => a.includes('/ws') && (!securePage || a.includes('/wss') || a.includes('/tls/')),
  )
  return ws.length > 0 ? ws : direct
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
  const given = options.relays ?? [options.relay ?? globalThis.location?.origin ?? '']
  if (given.length === 0) throw new RelayUnreachableError('joinRelay: no relay given')
  const addrs = given.filter((r) => r.startsWith('/'))
  const bases = given.filter((r) => !r.startsWith('/'))
  const answers = await Promise.allSettled(bases.map(relayInfo))
  const reached = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []))
  const genesis = options.genesis ?? reached[0]?.genesis
  if (genesis === undefined)
    throw new RelayUnreachableError(
      `joinRelay: no genesis (${answers.map((a) => (a.status === 'rejected' ? (a.reason as Error).message : '')).join('; ') || 'give `genesis` with multiaddr relays'})`,
    )
  // Relays down right now are left out; the node redials the ones it knows when they drop.
  const bootstrapPeers = [
    ...addrs,
    ...reached
      .filter((r) => r.genesis.chainId === genesis.chainId)
      .flatMap((r) => dialable(r.multiaddrs, options.securePage ?? SECURE_PAGE)),
  ]
  const offset =
    options.clockOffsetMs ?? (reached[0] === undefined ? 0 : await measureClockOffset(reached[0].base))
  const local = await browserPlatform(options.prefix === undefined ? {} : { prefix: options.prefix })
  const platform = offset === 0 ? local : { ...local, clock: offsetClock(local.clock, offset) }
  return createNode(
    {
      genesis,
      ...(options.producer && { producer: options.producer }),
      network: {
        enableP2P: true,
        bootstrapPeers,
        allowPrivateAddresses:
          options.allowPrivateAddresses ??
          (bases.every((base) => isPrivateHost(new URL(base, globalThis.location?.href).hostname)) &&
            addrs.every((addr) => isPrivate(multiaddr(addr)))),
        targetPeers: options.targetPeers ?? Math.min(TAB_TARGET_PEERS, options.maxPeers ?? TAB_MAX_PEERS),
        maxPeers: options.maxPeers ?? TAB_MAX_PEERS,
      },
    },
    platform,
    { network: libp2pNetwork() },
  )
}
