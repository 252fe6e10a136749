import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeCbor } from '../../src/encoding/cbor.ts'
import type { Genesis } from '../../src/genesis.ts'
import { encodeBlock, signBlock } from '../../src/ledger/block.ts'
import { decodeEpochStake } from '../../src/ledger/epoch-stake.ts'
import { genesisState } from '../../src/ledger/genesis-state.ts'
import { decodeSignedHeader, signedHeaderWire } from '../../src/ledger/signed-header.ts'
import { snapshotToWire } from '../../src/ledger/state-codec.ts'
import { decodeHeaders, decodeStatus, encodeHeaders, encodeStatus } from '../../src/net/messages.ts'
import { protocolId } from '../../src/net/protocol-id.ts'
import { sendRequest, serveRequests } from '../../src/net/request-response.ts'
import { SYNC_PROTOCOLS } from '../../src/net/sync-server.ts'
import type { CryptoPort } from '../../src/ports.ts'
import type { TestKey } from './chain-fixtures.ts'
import { gossipHost } from './gossip-peer.ts'

/** How a lying header peer bends the honest answers it relays. */
export type HeaderLie =
  /** Every stake record says the pools' stake is still the genesis stake (a real accounts root beside it). */
  | { stake: 'genesis' }
  /** The header at `index` is issued and signed by `stranger`, a key with no stake, with the real VRF proof. */
  | { strangerAt: number; stranger: TestKey; crypto: CryptoPort }

/**
 * A peer that serves status, headers and stake records by asking an honest node (`honest`, a
 * multiaddr) and bending them as `lie` says. It claims a tip one higher than the honest node's, so
 * a joiner asks it first; it counts the lies it sent, so a test knows they were.
 */
export async function lyingHeaderPeer(genesis: Genesis, honest: string, lie: HeaderLie) {
  const host = await gossipHost({ listen: true })
  const asked = { lies: 0 }
  const common = {
    maxRequestBytes: 4096,
    maxResponseBytes: 8 << 20,
    timeoutMs: 10_000,
    log: logger('test:header-liar'),
  }
  const forward = (name: string) => {
    const protocol = protocolId(genesis.chainId, name)
    return (request: Uint8Array) =>
      sendRequest(host, multiaddr(honest), protocol, request, { maxResponseBytes: 8 << 20 })
  }
  const status = forward(SYNC_PROTOCOLS.status)
  serveRequests(host, protocolId(genesis.chainId, SYNC_PROTOCOLS.status), {
    ...common,
    handler: async (request) => {
      const real = decodeStatus(await status(request))
      return encodeStatus({ ...real, tip: { ...real.tip, index: real.tip.index + 1 } })
    },
  })
  const stake = forward(SYNC_PROTOCOLS.stake)
  serveRequests(host, protocolId(genesis.chainId, SYNC_PROTOCOLS.stake), {
    ...common,
    handler: async (request) => {
      const real = await stake(request)
      if (!('stake' in lie)) return real
      asked.lies++
      const { accountsRoot } = decodeEpochStake(real)
      return encodeCbor({ type: 'stake', accountsRoot, stake: snapshotToWire(genesisState(genesis).stake) })
    },
  })
  const headers = forward(SYNC_PROTOCOLS.headers)
  serveRequests(host, protocolId(genesis.chainId, SYNC_PROTOCOLS.headers), {
    ...common,
    handler: async (request) => {
      const wires = decodeHeaders(await headers(request))
      if (!('strangerAt' in lie)) return encodeHeaders(wires)
      const bent = await Promise.all(
        wires.map(async (wire) => {
          const { header } = decodeSignedHeader(wire)
          if (header.index !== lie.strangerAt) return wire
          asked.lies++
          const forged = { ...header, issuer: lie.stranger.publicKey }
          return signedHeaderWire(encodeBlock(await signBlock(forged, [], lie.stranger.secret, lie.crypto)))
        }),
      )
      return encodeHeaders(bent)
    },
  })
  return { host, asked, addr: host.getMultiaddrs()[0].toString() }
}
