import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { decodeCbor, encodeCbor } from '../../src/encoding/cbor.ts'
import { decodeGetSnapshot, encodeGetSnapshot } from '../../src/net/messages.ts'
import { protocolId } from '../../src/net/protocol-id.ts'
import { sendRequest, serveRequests } from '../../src/net/request-response.ts'
import { SYNC_PROTOCOLS } from '../../src/net/sync-server.ts'
import { gossipHost } from './gossip-peer.ts'

/** How a lying snapshot peer bends the honest answers it relays. */
export type SnapshotLie =
  /** Chunks with accounts get their last byte flipped (the last account's value changes). */
  | { chunk: 'flip' }
  /** The manifest of the block asked carries the subtrees of the snapshot of block `other`. */
  | { manifestFrom: Uint8Array }
  /** No lie: every chunk honestly, each after `slowMs` (a slow download, to stop halfway). */
  | { slowMs: number }

/**
 * A peer that serves the snapshot protocol by asking an honest node (`honest`, a multiaddr) and
 * bending its answers; it counts what it was asked, so a test knows its lies were sent.
 */
export async function lyingSnapshotPeer(chainId: string, honest: string, lie: SnapshotLie) {
  const host = await gossipHost({ listen: true })
  const protocol = protocolId(chainId, SYNC_PROTOCOLS.snapshot)
  const asked = { manifests: 0, chunks: 0, lies: 0 }
  const honestAnswer = (request: Uint8Array) =>
    sendRequest(host, multiaddr(honest), protocol, request, { maxResponseBytes: 32 * 1024 * 1024 })
  serveRequests(host, protocol, {
    maxRequestBytes: 4096,
    maxResponseBytes: 32 * 1024 * 1024,
    timeoutMs: 10_000,
    log: logger('test:snapshot-liar'),
    handler: async (request) => {
      const { block, chunk } = decodeGetSnapshot(request)
      if (chunk === undefined) {
        asked.manifests++
        if (!('manifestFrom' in lie)) return honestAnswer(request)
        // The requested block's manifest, with another snapshot's subtrees spliced in.
        const real = await honestAnswer(request)
        const other = await honestAnswer(encodeGetSnapshot(lie.manifestFrom))
        asked.lies++
        return splice(real, other)
      }
      asked.chunks++
      if ('slowMs' in lie) await new Promise((r) => setTimeout(r, lie.slowMs))
      const answer = await honestAnswer(encodeGetSnapshot(block, chunk))
      if (!('chunk' in lie) || answer.length < 64) return answer
      asked.lies++
      const bent = answer.slice()
      bent[bent.length - 1] ^= 1
      return bent
    },
  })
  return { host, asked, addr: host.getMultiaddrs()[0].toString() }
}

/** `real` with the subtrees of `other` (both encoded manifests). */
function splice(real: Uint8Array, other: Uint8Array): Uint8Array {
  const manifest = decodeCbor(real, 64 << 20, 'manifest') as Record<string, unknown>
  const donor = decodeCbor(other, 64 << 20, 'manifest') as Record<string, unknown>
  return encodeCbor({ ...manifest, subtrees: donor.subtrees })
}
