import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { nodeTransports } from '../platform/node/network.ts'
import { createHost } from '../src/net/host.ts'
import { waitFor } from './support/network-fixtures.ts'
import { ANY_PORTS, type RelayProcess, startRelayProcess } from './support/relay-process.ts'

/** A protobuf length-delimited field (pubsub-peer-discovery's `Peer { bytes publicKey = 1; repeated bytes addrs = 2 }`). */
function field(tag: number, bytes: Uint8Array): number[] {
  const length: number[] = []
  for (let n = bytes.length; ; n >>= 7) {
    if (n < 0x80) {
      length.push(n)
      break
    }
    length.push((n & 0x7f) | 0x80)
  }
  return [tag, ...length, ...bytes]
}

describe('a relay dials private addresses that strangers announce only with --allow-private', function () {
  this.timeout(120_000)
  const hosts: Array<{ stop(): Promise<void> | void }> = []
  const dirs: string[] = []
  let relay: RelayProcess | undefined

  afterEach(async () => {
    for (const host of hosts.splice(0)) await host.stop()
    await relay?.stop()
    relay = undefined
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
  })

  /** Announces a listening target peer on the relay's discovery topic; resolves whether the relay dialled it within `ms`. */
  async function relayDialsAnnouncedPeer(flags: string[], ms: number): Promise<boolean> {
    const dir = await mkdtemp(join(tmpdir(), 'pp-private-dial-'))
    dirs.push(dir)
    relay = await startRelayProcess(['--data-dir', dir, ...ANY_PORTS, ...flags])
    const { chainId } = await (await fetch(`${relay.httpUrl}/status`)).json()
    const topic = `/pp/${chainId}/peers/1`
    // The target: a peer on a loopback address that never dials the relay itself.
    const target = await createHost({
      transports: nodeTransports,
      settings: { listen: ['/ip4/127.0.0.1/tcp/0'], allowPrivateAddresses: true },
    })
    hosts.push(target)
    let dialled = false
    target.addEventListener('connection:open', (e) => {
      if (e.detail.remotePeer.toString() === relay!.peerId) dialled = true
    })
    // The stranger: connected to the relay, announcing the target's address as a discovered peer.
    const stranger = await createHost({
      transports: nodeTransports,
      settings: { listen: [], allowPrivateAddresses: true },
      services: { pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) },
    })
    hosts.push(stranger)
    await stranger.dial(multiaddr(relay.multiaddrs.find((a) => !a.includes('/ws'))!))
    stranger.services.pubsub.subscribe(topic)
    await waitFor(() => stranger.services.pubsub.getSubscribers(topic).length > 0, 'the relay on the topic')
    const announcement = Uint8Array.from([
      ...field(0x0a, publicKeyToProtobuf(target.peerId.publicKey!)),
      ...field(0x12, target.getMultiaddrs()[0].bytes),
    ])
    const deadline = Date.now() + ms
    while (!dialled && Date.now() < deadline) {
      await stranger.services.pubsub.publish(topic, announcement).catch(() => {})
      await new Promise((r) => setTimeout(r, 250))
    }
    return dialled
  }

  it('with the flag (a local devnet) it dials the announced peer', async () => {
    expect(await relayDialsAnnouncedPeer(['--allow-private'], 20_000)).to.equal(true)
  })

  it('without it, it never dials the private address a stranger announced', async () => {
    // The same announcement that got a dial within a second or two with the flag, for 8 s.
    expect(await relayDialsAnnouncedPeer([], 8_000)).to.equal(false)
  })
})
