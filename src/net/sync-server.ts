import type { Logger } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { genesisHash } from '../genesis.ts'
import type { ChainStore } from '../ledger/chain-store.ts'
import { type SignedHeaderWire, signedHeaderWire } from '../ledger/signed-header.ts'
import { encodeChunk, encodeManifest, MAX_CHUNK_BYTES, MAX_MANIFEST_BYTES } from '../ledger/snapshot.ts'
import { SnapshotUnavailableError } from './errors.ts'
import {
  BLOCKS_RESPONSE_TARGET_BYTES,
  decodeGetBlocks,
  decodeGetHeaders,
  decodeGetSnapshot,
  decodeGetStake,
  decodeLocate,
  encodeBlocks,
  encodeHeaders,
  encodeLocated,
  encodeStatus,
  MAX_BLOCKS_RESPONSE_BYTES,
  MAX_HEADERS_RESPONSE_BYTES,
  MAX_REQUEST_BYTES,
} from './messages.ts'
import { protocolId } from './protocol-id.ts'
import { serveRequests } from './request-response.ts'

/** Names of the sync protocols: status, blocks and headers by index, chain locator, snapshots, stake records. */
export const SYNC_PROTOCOLS = {
  status: 'status',
  blocks: 'blocks',
  locate: 'locate',
  snapshot: 'snapshot',
  headers: 'headers',
  stake: 'stake',
} as const

/** How long a peer may take to send its whole request. */
const REQUEST_TIMEOUT_MS = 10_000

/**
 * Serves the sync protocols: answers `status`, `get_blocks {from_index, count}` → `blocks`, chain
 * locators, `get_headers` (signed headers, no transactions) from the best chain, `get_snapshot` from
 * the snapshot points it keeps and `get_stake` from its epochs' stake records. Every request is
 * size-capped and schema-checked; a peer that
 * sends garbage is reported through `onMisbehaviour`. Returns a function that unregisters it.
 */
export function serveSync(
  libp2p: Libp2p,
  chainId: string,
  chain: () => ChainStore,
  onMisbehaviour: (peer: string, reason: string) => void,
  log: Logger,
): () => Promise<void> {
  const common = {
    log,
    maxRequestBytes: MAX_REQUEST_BYTES,
    maxResponseBytes: MAX_BLOCKS_RESPONSE_BYTES,
    timeoutMs: REQUEST_TIMEOUT_MS,
    onMisbehaviour: (peer: { toString(): string }, reason: string) => onMisbehaviour(peer.toString(), reason),
  }
  const stops = [
    serveRequests(libp2p, protocolId(chainId, SYNC_PROTOCOLS.status), {
      ...common,
      handler: async () => {
        const store = chain()
        return encodeStatus({ genesis: genesisHash(store.genesis), tip: store.tip })
      },
    }),
    serveRequests(libp2p, protocolId(chainId, SYNC_PROTOCOLS.blocks), {
      ...common,
      handler: async (request) => {
        const { from_index, count } = decodeGetBlocks(request)
        const store = chain()
        store.requireKept(from_index)
        const out: Uint8Array[] = []
        let bytes = 0
        const last = Math.min(store.tip.index, from_index + count - 1)
        for (let index = Math.max(1, from_index); index <= last; index++) {
          const hash = await store.hashAt(index)
          const block = hash && (await store.getBlockBytes(hash))
          if (!block || bytes + block.length > MAX_BLOCKS_RESPONSE_BYTES - 1024) break
          if (out.length > 0 && bytes + block.length > BLOCKS_RESPONSE_TARGET_BYTES) break
          out.push(block)
          bytes += block.length
        }
        return encodeBlocks(out)
      },
    }),
    serveRequests(libp2p, protocolId(chainId, SYNC_PROTOCOLS.snapshot), {
      ...common,
      maxResponseBytes: Math.max(MAX_MANIFEST_BYTES, MAX_CHUNK_BYTES),
      handler: async (request) => {
        const { block, chunk } = decodeGetSnapshot(request)
        const store = chain()
        const state = store.snapshotAt(block)
        const bytes = state && (await store.getBlockBytes(block))
        if (!state || !bytes) throw new SnapshotUnavailableError('no snapshot of that block here')
        return chunk === undefined ? encodeManifest(state, bytes) : encodeChunk(state, chunk)
      },
    }),
    serveRequests(libp2p, protocolId(chainId, SYNC_PROTOCOLS.headers), {
      ...common,
      maxResponseBytes: MAX_HEADERS_RESPONSE_BYTES,
      handler: async (request) => {
        const { from_index, count } = decodeGetHeaders(request)
        const store = chain()
        store.requireKept(from_index)
        const out: SignedHeaderWire[] = []
        const last = Math.min(store.tip.index, from_index + count - 1)
        for (let index = from_index; index <= last; index++) {
          const hash = await store.hashAt(index)
          const block = hash && (await store.getBlockBytes(hash))
          if (!block) break
          out.push(signedHeaderWire(block))
        }
        return encodeHeaders(out)
      },
    }),
    serveRequests(libp2p, protocolId(chainId, SYNC_PROTOCOLS.stake), {
      ...common,
      handler: async (request) => {
        const record = await chain().epochStake(decodeGetStake(request))
        if (record === undefined) throw new SnapshotUnavailableError('no stake record of that block here')
        return record
      },
    }),
    serveRequests(libp2p, protocolId(chainId, SYNC_PROTOCOLS.locate), {
      ...common,
      handler: async (request) => {
        const store = chain()
        for (const hash of decodeLocate(request)) {
          const index = await store.heightOnBestChain(hash)
          if (index !== undefined) return encodeLocated(index)
        }
        return encodeLocated(-1)
      },
    }),
  ]
  return async () => {
    for (const stop of stops) await stop()
  }
}
