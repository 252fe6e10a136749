import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { webRTC, webRTCDirect } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { type Libp2pNetworkOptions, libp2pNetwork as libp2pNetworkWith } from '../../src/net/chain-network.ts'
import type { Libp2pTransports } from '../../src/net/host.ts'
import type { NetworkFactory } from '../../src/net/network-components.ts'

/**
 * Tabs dial Node peers over WebSocket (or WebRTC-Direct, which needs no CA certificate, from
 * pages served over https) and each other over WebRTC, signalled through a circuit relay. With
 * private addresses allowed (local devnets, tests) no public STUN server is used.
 */
export const browserTransports: Libp2pTransports = (settings) => ({
  transports: [
    webSockets(),
    webRTC(settings.allowPrivateAddresses ? { rtcConfiguration: { iceServers: [] } } : {}),
    webRTCDirect(),
    circuitRelayTransport(),
  ],
  addresses: { listen: ['/p2p-circuit', '/webrtc'] },
  ...(settings.allowPrivateAddresses && { connectionGater: { denyDialMultiaddr: () => false } }),
})

/** The libp2p network over a tab's transports: `createNode(config, platform, { network: libp2pNetwork() })`. */
export function libp2pNetwork(options: Partial<Libp2pNetworkOptions> = {}): NetworkFactory {
  return libp2pNetworkWith({ transports: browserTransports, ...options })
}
