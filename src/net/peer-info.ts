import type { Connection } from '@libp2p/interface'
import type { PeerInfo } from './network-components.ts'

/** The transport a connection runs over, read from its remote multiaddr. */
export function transportOf(connection: Connection): PeerInfo['transport'] {
  const addr = connection.remoteAddr.toString()
  if (addr.includes('/webrtc')) return 'webrtc'
  if (addr.includes('/p2p-circuit')) return 'circuit'
  if (addr.includes('/ws') || addr.includes('/wss') || addr.includes('/tls/ws')) return 'ws'
  if (addr.includes('/memory')) return 'memory'
  if (addr.includes('/tcp/')) return 'tcp'
  return 'other'
}

/** A connection as getPeers() reports it. */
export function peerInfoOf(connection: Connection): PeerInfo {
  return {
    id: connection.remotePeer.toString(),
    addr: connection.remoteAddr.toString(),
    transport: transportOf(connection),
    direction: connection.direction,
  }
}
