import { gossipsub } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import { nodeTransports } from '../../platform/node/network.ts'
import { createHost } from '../../src/net/host.ts'
import { waitFor } from './network-fixtures.ts'

/** A plain libp2p host with gossipsub (publishing with no topic peers allowed), over the Node transports;
 * with `listen`, it takes connections on a TCP port of 127.0.0.1. */
export async function gossipHost(options: { listen?: boolean } = {}) {
  return createHost({
    transports: nodeTransports,
    settings: { listen: options.listen ? ['/ip4/127.0.0.1/tcp/0'] : [], allowPrivateAddresses: true },
    services: { pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) },
  })
}

/** A host made by `gossipHost`. */
export type GossipHost = Awaited<ReturnType<typeof gossipHost>>

/** Dials `addr` from `host`, subscribes it to `topic`, and waits until it sees the other side subscribed too. */
export async function joinGossip(host: GossipHost, addr: string, topic: string): Promise<void> {
  await host.dial(multiaddr(addr))
  host.services.pubsub.subscribe(topic)
  await waitFor(
    () => host.services.pubsub.getSubscribers(topic).length > 0,
    `${addr} to subscribe to ${topic}`,
  )
}

/** A `gossipHost` dialled to `addr` and subscribed to `topic`, once it sees the other side subscribed too;
 * the caller stops it (it stops itself if it cannot join). */
export async function gossipPeer(addr: string, topic: string): Promise<GossipHost> {
  const host = await gossipHost()
  try {
    await joinGossip(host, addr, topic)
  } catch (e) {
    await host.stop()
    throw e
  }
  return host
}
