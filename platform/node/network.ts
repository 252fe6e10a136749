import { tcp } from '@libp2p/tcp'
import { isPrivate } from '@libp2p/utils'
import { webSockets } from '@libp2p/websockets'
import { type Libp2pNetworkOptions, libp2pNetwork as libp2pNetworkWith } from '../../src/net/chain-network.ts'
import type { Libp2pTransports } from '../../src/net/host.ts'
import type { NetworkFactory } from '../../src/net/network-components.ts'

/**
 * Node peers speak TCP to each other and listen on WebSocket for browser tabs. Private and
 * loopback addresses (which strangers may announce to make a server probe its LAN) are dialled
 * only when allowed: local devnets and tests.
 */
export const nodeTransports: Libp2pTransports = (settings) => ({
  transports: [tcp(), webSockets()],
  addresses: { listen: settings.listen, ...(settings.announce?.length && { announce: settings.announce }) },
  connectionGater: {
    denyDialMultiaddr: (addr) => !settings.allowPrivateAddresses && isPrivate(addr),
  },
})

/** The libp2p network over Node's transports: `createNode(config, platform, { network: libp2pNetwork() })`. */
export function libp2pNetwork(options: Partial<Libp2pNetworkOptions> = {}): NetworkFactory {
  return libp2pNetworkWith({ transports: nodeTransports, ...options })
}
