import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import type { NetworkPort } from '../../src/ports.ts'

/** Node peers speak TCP to each other and listen on WebSocket for browser tabs. */
export const nodeNetwork: NetworkPort = {
  libp2pOptions: (settings) => ({
    transports: [tcp(), webSockets()],
    addresses: { listen: settings.listen },
    ...(settings.allowPrivateAddresses && { connectionGater: { denyDialMultiaddr: () => false } }),
  }),
}
