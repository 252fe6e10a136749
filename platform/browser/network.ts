import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import type { NetworkPort } from '../../src/ports.ts'

/**
 * Tabs dial Node peers over WebSocket and each other over WebRTC, signalled through a circuit
 * relay. With private addresses allowed (local devnets, tests) no public STUN server is used.
 */
export const browserNetwork: NetworkPort = {
  libp2pOptions: (settings) => ({
    transports: [
      webSockets(),
      webRTC(settings.allowPrivateAddresses ? { rtcConfiguration: { iceServers: [] } } : {}),
      circuitRelayTransport(),
    ],
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    ...(settings.allowPrivateAddresses && { connectionGater: { denyDialMultiaddr: () => false } }),
  }),
}
