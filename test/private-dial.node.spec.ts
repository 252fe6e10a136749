import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { nodeTransports } from '../platform/node/network.ts'
import { createHost } from '../src/net/host.ts'
import { encodePeers } from '../src/net/messages.ts'
import { PEER_EXCHANGE } from '../src/net/peer-exchange.ts'
import { protocolId } from '../src/net/protocol-id.ts'
import { serveRequests } from '../src/net/request-response.ts'
import { ANY_PORTS, type RelayProcess, startRelayProcess } from './support/relay-process.ts'

describe('a relay dials private addresses that strangers share only with --allow-private', function () {
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

  /** A stranger tells the relay, by peer exchange, of a listening target peer; resolves whether the relay dialled it within `ms`. */
  async function relayDialsSharedPeer(flags: string[], ms: number): Promise<boolean> {
    const dir = await mkdtemp(join(tmpdir(), 'pp-private-dial-'))
    dirs.push(dir)
    relay = await startRelayProcess(['--data-dir', dir, ...ANY_PORTS, ...flags])
    const { chainId } = await (await fetch(`${relay.httpUrl}/status`)).json()
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
    // The stranger: answers the relay's peer exchange with the target's loopback address.
    const stranger = await createHost({
      transports: nodeTransports,
      settings: { listen: [], allowPrivateAddresses: true },
    })
    hosts.push(stranger)
    let asked = 0
    serveRequests(stranger, protocolId(chainId, PEER_EXCHANGE), {
      maxRequestBytes: 1024,
      maxResponseBytes: 64 * 1024,
      timeoutMs: 5000,
      log: logger('test:stranger'),
      handler: async () => {
        asked++
        return encodePeers([{ id: target.peerId.toString(), addrs: [target.getMultiaddrs()[0].toString()] }])
      },
    })
    await stranger.dial(multiaddr(relay.multiaddrs.find((a) => !a.includes('/ws'))!))
    const deadline = Date.now() + ms
    while (!dialled && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
    // The relay did ask (it has fewer peers than its target): a "no dial" is a refusal, not silence.
    expect(asked, 'peer-exchange requests the stranger answered').to.be.greaterThan(0)
    return dialled
  }

  it('with the flag (a local devnet) it dials the shared peer', async () => {
    expect(await relayDialsSharedPeer(['--allow-private'], 20_000)).to.equal(true)
  })

  it('without it, it never dials the private address a stranger shared', async () => {
    // The same answer that got a dial within a second or two with the flag; the relay asks again every 3 s.
    expect(await relayDialsSharedPeer([], 8_000)).to.equal(false)
  })
})
