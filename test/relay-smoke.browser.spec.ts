import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { browserTransports } from '../platform/browser/network.ts'
import { createHost } from '../src/net/host.ts'
import { relayWebSocketAddr } from './support/relay-info.ts'

describe('browser node and Node relay', () => {
  it('dials the relay over WebSocket and exchanges a ping on a protocol stream', async () => {
    const host = await createHost({
      transports: browserTransports,
      settings: { listen: [], allowPrivateAddresses: true },
    })
    try {
      const relay = multiaddr(await relayWebSocketAddr())
      const rtt = await host.services.ping.ping(relay, { signal: AbortSignal.timeout(20_000) })
      expect(rtt).to.be.a('number')
      const connections = host.getConnections()
      expect(connections).to.have.length(1)
      expect(connections[0].remoteAddr.toString()).to.include('/ws')
    } finally {
      await host.stop()
    }
  })
})
