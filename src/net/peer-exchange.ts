import type { Logger, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import { DecodeError } from '../errors.ts'
import {
  decodePeers,
  encodePeers,
  MAX_PEERS_RESPONSE_BYTES,
  MAX_REQUEST_BYTES,
  MAX_SHARED_ADDRS,
  MAX_SHARED_PEERS,
} from './messages.ts'
import { isDirect } from './peer-mesh.ts'
import { protocolId } from './protocol-id.ts'
import { sendRequest, serveRequests } from './request-response.ts'

/** Name of the peer-exchange protocol. */
export const PEER_EXCHANGE = 'peers'
const TIMEOUT_MS = 10_000

/** A peer learnt from another: its id and the addresses to dial it at (each ending in /p2p/<id>). */
export interface LearntPeer {
  id: PeerId
  addrs: Multiaddr[]
}

/**
 * Serves peer exchange: on request, up to 16 random direct peers of this node (not the asker) with
 * the addresses they listen on, as identify told them. Discovery then costs each node one request
 * while it seeks peers, instead of every node's announcements reaching every node.
 */
export function servePeerExchange(libp2p: Libp2p, chainId: string, log: Logger): () => Promise<void> {
  return serveRequests(libp2p, protocolId(chainId, PEER_EXCHANGE), {
    log,
    maxRequestBytes: MAX_REQUEST_BYTES,
    maxResponseBytes: MAX_PEERS_RESPONSE_BYTES,
    timeoutMs: TIMEOUT_MS,
    handler: async (_request, asker) => {
      const peers = [
        ...new Set(
          libp2p
            .getConnections()
            .filter(isDirect)
            .map((c) => c.remotePeer),
        ),
      ]
        .filter((p) => !p.equals(asker))
        .sort(() => Math.random() - 0.5)
      const shared = []
      for (const peer of peers) {
        if (shared.length >= MAX_SHARED_PEERS) break
        const known = await libp2p.peerStore.get(peer).catch(() => undefined)
        const addrs = (known?.addresses ?? []).map((a) => a.multiaddr.toString()).slice(0, MAX_SHARED_ADDRS)
        if (addrs.length > 0) shared.push({ id: peer.toString(), addrs })
      }
      return encodePeers(shared)
    },
  })
}

/** Asks a peer for some of its peers; throws DecodeError when its answer is malformed. */
export async function askForPeers(
  libp2p: Libp2p,
  chainId: string,
  peer: PeerId,
  signal?: AbortSignal,
): Promise<LearntPeer[]> {
  const answer = await sendRequest(libp2p, peer, protocolId(chainId, PEER_EXCHANGE), new Uint8Array(), {
    maxResponseBytes: MAX_PEERS_RESPONSE_BYTES,
    timeoutMs: TIMEOUT_MS,
    ...(signal && { signal }),
  })
  return decodePeers(answer).map((shared) => {
    try {
      const id = peerIdFromString(shared.id)
      const addrs = shared.addrs.map((text) => {
        const addr = multiaddr(text)
        return addr.getComponents().at(-1)?.name === 'p2p' ? addr : addr.encapsulate(`/p2p/${shared.id}`)
      })
      return { id, addrs }
    } catch (err) {
      throw new DecodeError(`malformed peers response: ${(err as Error).message}`)
    }
  })
}
