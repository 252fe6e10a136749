import { tcp } from '@libp2p/tcp'
import { isPrivate } from '@libp2p/utils'
import { webSockets } from '@libp2p/websockets'
import type { NetworkPort } from '../../src/ports.ts'

/**
 * Node peers speak TCP to each other and listen on WebSocket for browser tabs. Private and
 * loopback addresses (which strangers may announce to make a server probe its LAN) are dialled
 * only when allowed: local devnets and tests.
 */
export const nodeNetwork: NetworkPort = {
  libp2pOptions: (settings) => ({
    transports: [tcp(), webSockets()],
    addresses: { listen: settings.listen },
    connectionGater: {
      denyDialMultiaddr: (addr) => !settings.allowPrivateAddresses && isPrivate(addr),
    },
  }),
}
