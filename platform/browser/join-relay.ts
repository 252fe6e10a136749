import { isPrivate } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { offsetClock } from '../../src/clock/offset-clock.ts'
import type { ProducerSecrets } from '../../src/config.ts'
import { toHex } from '../../src/encoding/hash.ts'
import { ConfigError } from '../../src/errors.ts'
import { type Genesis, type GenesisJson, genesisHash, parseGenesis } from '../../src/genesis.ts'
import type { Checkpoint } from '../../src/ledger/snapshot.ts'
import { createNode, type PPNode } from '../../src/node.ts'
import { GenesisMismatchError, RelayUnreachableError } from './errors.ts'
import { browserPlatform } from './index.ts'
import { libp2pNetwork } from './network.ts'
import { getJson, SECURE_PAGE } from './relay-api.ts'
import {
  boundClockOffset,
  MAX_CLOCK_OFFSET_SLOTS,
  measureRelayClock,
  type RelayClock,
} from './relay-clock.ts'

/** Peers a tab seeks, and keeps at most (relays not counted): a bounded mesh of tabs. */
const TAB_TARGET_PEERS = 6
const TAB_MAX_PEERS = 12
/** Epochs of blocks a tab keeps by default: its storage stays bounded; relays keep the whole history. */
const TAB_KEEP_EPOCHS = 8

/** How a tab joins the network of one or several relays. */
export interface JoinRelayOptions {
  /** The relay's HTTP address (default: the page's own origin). */
  relay?: string
  /**
   * Several relays (instead of `relay`), each an HTTP address or a multiaddr: the genesis is the
   * one `genesisHash` pins (else the one most HTTP relays serve), the clock the median of theirs,
   * and the node keeps a connection to every relay of that chain, so it stays on the network when
   * one goes away (and reconnects when it comes back).
   * A page served over https cannot call a relay's plain-http API nor open ws://: give it the
   * relays' WebRTC-Direct multiaddrs (`/…/udp/…/webrtc-direct/certhash/…/p2p/…`) and `genesis`.
   */
  relays?: string[]
  /** The chain's genesis, when no relay's HTTP API can be asked for it (multiaddr relays only). */
  genesis?: GenesisJson
  /**
   * Pins the chain: its genesis hash (64 hex characters). A relay serving another genesis is left
   * out (neither dialled nor asked the time); GenesisMismatchError when none serves this one.
   */
  genesisHash?: string
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
   * Epochs of blocks kept (at least); older ones are deleted once settled, so the tab's storage
   * stays bounded (default 8; "all" keeps the whole history, to serve it to other tabs).
   */
  keepEpochs?: number | 'all'
  /**
   * How far the relays' clock is ahead of ours, in ms; the node runs its slots on their time.
   * Default: the median measured from the relays' /status (see boundClockOffset). 0 keeps the
   * local clock. Either is bounded by `maxClockOffsetMs`.
   */
  clockOffsetMs?: number
  /**
   * The most the node moves its clock from this computer's, in ms (default: 3 slots): a relay lying
   * about the time moves the tab no further, and blocks beyond this computer's clock plus this plus
   * the clock skew allowed are refused.
   */
  maxClockOffsetMs?: number
  /** Told the clock the node runs on, before joinRelay resolves (from a worker too): warn the user when `beyondBound`. */
  onClock?: (clock: RelayClock) => void
  /**
   * Start from this block instead of genesis (see NodeConfig.checkpoint), used only while the
   * tab's store is empty: `{ index, hash }` or "<index>:<hash>", or "relay" to take the newest
   * snapshot point of the first relay of the chain (`GET /checkpoint`; none yet: from genesis).
   * "relay" trusts that relay for the checkpoint, as a page it serves already trusts it for its code;
   * "headers" trusts no block but the pinned genesis: the header chain is checked from genesis.
   */
  checkpoint?: Checkpoint | string
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

/** What a relay's HTTP API tells a tab: the chain's genesis (and its hash) and the relay's multiaddrs. */
interface RelayInfo {
  base: string
  genesis: Genesis
  hash: string
  multiaddrs: string[]
}

/** Asks a relay's HTTP API for its RelayInfo; one serving nonsense as its genesis is unreachable. */
async function relayInfo(base: string): Promise<RelayInfo> {
  const [json, bootstrap] = await Promise.all([
    getJson<GenesisJson>(`${base}/genesis`),
    getJson<{ multiaddrs: string[] }>(`${base}/bootstrap`),
  ])
  let genesis: Genesis
  try {
    genesis = parseGenesis(json)
  } catch (err) {
    throw new RelayUnreachableError(`${base}/genesis is not a genesis: ${(err as Error).message}`)
  }
  return { base, genesis, hash: toHex(genesisHash(genesis)), multiaddrs: bootstrap.multiaddrs }
}

/** The newest snapshot point a relay serves, or undefined when it has none yet (or cannot say). */
async function relayCheckpoint(base: string | undefined): Promise<string | undefined> {
  if (base === undefined) return undefined
  try {
    return (await getJson<{ checkpoint: string | null }>(`${base}/checkpoint`)).checkpoint ?? undefined
  } catch {
    return undefined
  }
}

/** The hash most of `hashes` are (the first of those tied). */
function mostCommon(hashes: string[]): string | undefined {
  const counts = new Map<string, number>()
  for (const hash of hashes) counts.set(hash, (counts.get(hash) ?? 0) + 1)
  let best: string | undefined
  for (const [hash, count] of counts) if (best === undefined || count > counts.get(best)!) best = hash
  return best
}

/** The pinned genesis hash, checked and in lower case. */
function pinnedHash(hash: string | undefined): string | undefined {
  if (hash === undefined) return undefined
  if (!/^[0-9a-fA-F]{64}$/.test(hash))
    throw new ConfigError(`genesisHash must be 64 hex characters, got "${hash}"`)
  return hash.toLowerCase()
}

/**
 * The chain a tab joins and the relays that serve it: the pinned one, else the given genesis's,
 * else the one most relays serve. Relays of another chain are left out: not dialled (the node would
 * find them on another chain and charge them), not asked the time.
 */
function chainOf(
  reached: RelayInfo[],
  pinned: string | undefined,
  given: GenesisJson | undefined,
): { genesis: Genesis | undefined; ofChain: RelayInfo[] } {
  const fromOptions = given === undefined ? undefined : parseGenesis(given)
  const givenHash = fromOptions && toHex(genesisHash(fromOptions))
  if (givenHash !== undefined && pinned !== undefined && givenHash !== pinned)
    throw new GenesisMismatchError(
      `joinRelay: the genesis given has hash ${givenHash}, not the pinned ${pinned}`,
    )
  const chain = pinned ?? givenHash ?? mostCommon(reached.map((r) => r.hash))
  const ofChain = reached.filter((r) => r.hash === chain)
  const genesis = fromOptions ?? ofChain[0]?.genesis
  if (genesis === undefined && pinned !== undefined && reached.length > 0)
    throw new GenesisMismatchError(
      `joinRelay: no relay serves the pinned chain ${pinned} (${reached.map((r) => `${r.base} serves ${r.hash}`).join('; ')})`,
    )
  return { genesis, ofChain }
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
  const { genesis, ofChain } = chainOf(reached, pinnedHash(options.genesisHash), options.genesis)
  if (genesis === undefined)
    throw new RelayUnreachableError(
      `joinRelay: no genesis (${answers.map((a) => (a.status === 'rejected' ? (a.reason as Error).message : '')).join('; ') || 'give `genesis` with multiaddr relays'})`,
    )
  const bootstrapPeers = [
    ...addrs,
    ...ofChain.flatMap((r) => dialable(r.multiaddrs, options.securePage ?? SECURE_PAGE)),
  ]
  const maxOffsetMs = options.maxClockOffsetMs ?? MAX_CLOCK_OFFSET_SLOTS * genesis.slotMs
  if (!(maxOffsetMs >= 0)) throw new ConfigError(`maxClockOffsetMs must be ≥ 0, got ${maxOffsetMs}`)
  const clock =
    options.clockOffsetMs === undefined
      ? await measureRelayClock(
          ofChain.map((r) => r.base),
          maxOffsetMs,
        )
      : boundClockOffset([options.clockOffsetMs], maxOffsetMs)
  options.onClock?.(clock)
  const checkpoint =
    options.checkpoint === 'relay' ? await relayCheckpoint(ofChain[0]?.base) : options.checkpoint
  const offset = clock.offsetMs
  const local = await browserPlatform(options.prefix === undefined ? {} : { prefix: options.prefix })
  const platform = offset === 0 ? local : { ...local, clock: offsetClock(local.clock, offset) }
  return createNode(
    {
      genesis,
      ...(options.producer && { producer: options.producer }),
      ...(options.keepEpochs !== 'all' && { keepEpochs: options.keepEpochs ?? TAB_KEEP_EPOCHS }),
      ...(checkpoint !== undefined && { checkpoint }),
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
