import { logger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { libp2pNetwork, nodeTransports } from '../platform/node/network.ts'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { encodeCbor } from '../src/encoding/cbor.ts'
import type { Genesis } from '../src/genesis.ts'
import { createHost } from '../src/net/host.ts'
import { PEER_EXCHANGE } from '../src/net/peer-exchange.ts'
import { protocolId } from '../src/net/protocol-id.ts'
import { serveRequests } from '../src/net/request-response.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { bftGenesis, testKeys } from './support/chain-fixtures.ts'
import { meshReady, networkOf, sameTip, stepSlot, tcpAddr, waitFor } from './support/network-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

/** Distinct peers a node is connected to, and its connections (direct ones only). */
function degree(node: PPNode): { peers: number; connections: number } {
  const direct = networkOf(node)
    .libp2p!.getConnections()
    .filter((c) => c.limits === undefined)
  return { peers: new Set(direct.map((c) => c.remotePeer.toString())).size, connections: direct.length }
}

describe('peer mesh: a bounded degree, found by peer exchange, one connection per peer', function () {
  this.timeout(120_000)
  let envs: TestPlatform[] = []
  let nodes: PPNode[] = []
  const hosts: Array<{ stop(): Promise<void> | void }> = []

  async function startNode(
    genesis: Genesis,
    clock: ManualClock,
    options: { bootstrap: string[]; producer?: Uint8Array; targetPeers?: number; maxPeers?: number },
  ): Promise<PPNode> {
    const env = await testPlatform()
    envs.push(env)
    const node = createNode(
      {
        genesis,
        ...(options.producer && { producer: { secret: options.producer } }),
        network: {
          enableP2P: true,
          listenAddr: ['/ip4/127.0.0.1/tcp/0'],
          bootstrapPeers: options.bootstrap,
          allowPrivateAddresses: true,
          ...(options.targetPeers !== undefined && { targetPeers: options.targetPeers }),
          ...(options.maxPeers !== undefined && { maxPeers: options.maxPeers }),
        },
      },
      { ...env.platform, clock },
      { network: libp2pNetwork() },
    )
    await node.start()
    nodes.push(node)
    return node
  }

  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    for (const host of hosts.splice(0)) await host.stop()
    await Promise.all(envs.map((e) => e.dispose()))
    nodes = []
    envs = []
  })

  it('12 nodes in a bootstrap line find peers by exchange up to their target, stay within maxPeers, and agree on one chain', async () => {
    const keys = await testKeys(2, (await testPlatform()).platform.crypto, 'mesh')
    const genesis = bftGenesis(keys, { k: 10 }, 2)
    const clock = new ManualClock(slotStart(genesis, 0) - 1)
    const targetPeers = 3
    const maxPeers = 5
    for (let i = 0; i < 12; i++) {
      // A line: each node knows only the one before it; peer exchange must find the rest.
      const bootstrap = i === 0 ? [] : [tcpAddr(nodes[i - 1])]
      await startNode(genesis, clock, {
        bootstrap,
        targetPeers,
        maxPeers,
        ...(i < 2 && { producer: keys[i].secret }),
      })
    }
    await waitFor(
      () => nodes.every((n) => degree(n).peers >= targetPeers),
      'every node at its target degree',
      30_000,
    )
    // Late dials, trims and redials settle (a node may dip below its target while a trimmed peer is
    // replaced); then the bound: maxPeers plus the node's own bootstrap peer.
    const bounded = (d: { peers: number }, i: number) =>
      d.peers >= targetPeers && d.peers <= maxPeers + (i === 0 ? 0 : 1)
    await waitFor(
      () => nodes.every((n, i) => bounded(degree(n), i)),
      () => `every node within its bounds (peers: ${nodes.map((n) => degree(n).peers).join(' ')})`,
      30_000,
    )
    const degrees = nodes.map((n) => degree(n))
    for (const [i, d] of degrees.entries()) {
      expect(d.peers, `node ${i} peers`).to.be.within(targetPeers, maxPeers + (i === 0 ? 0 : 1))
      expect(d.connections, `node ${i} has one connection per peer`).to.equal(d.peers)
    }
    // With a line of bootstrap peers alone the first node would have 1 peer: exchange found more.
    expect(degrees[0].peers).to.be.at.least(targetPeers)
    await meshReady(nodes)
    // Each block reaches every node, over a mesh of bounded degree, before the next slot.
    for (let slot = 0; slot < 6; slot++) {
      await stepSlot(clock, genesis, nodes, slot)
      await waitFor(
        () => nodes.every((n) => n.getState().tip.index === slot + 1) && sameTip(nodes),
        `block ${slot + 1} on all 12 nodes`,
      )
    }
  })

  it('two nodes that dial each other at once keep one connection, and gossip still flows both ways over it', async () => {
    const keys = await testKeys(2, (await testPlatform()).platform.crypto, 'mesh-dup')
    const genesis = bftGenesis(keys, { k: 10 }, 2)
    const clock = new ManualClock(slotStart(genesis, 0) - 1)
    const a = await startNode(genesis, clock, { bootstrap: [], producer: keys[0].secret })
    const b = await startNode(genesis, clock, { bootstrap: [], producer: keys[1].secret })
    const [la, lb] = [networkOf(a).libp2p!, networkOf(b).libp2p!]
    let opened = 0
    la.addEventListener('connection:open', () => opened++)
    // The node with the larger peer id dials first, and gossip attaches to that connection; the
    // other then dials too (as when both dial at once; forced: libp2p reuses a connection
    // otherwise). Both ends keep the second one (dialled by the smaller id) and close the first,
    // so gossip must move to the connection that stays.
    const [first, second] = la.peerId.toString() > lb.peerId.toString() ? [a, b] : [b, a]
    await networkOf(first).libp2p!.dial(multiaddr(tcpAddr(second)))
    await meshReady([a, b])
    await networkOf(second)
      .libp2p!.dial(multiaddr(tcpAddr(first)), { force: true })
      .catch(() => {})
    await waitFor(() => opened === 2, 'the duplicate connection open')
    await waitFor(() => degree(a).connections === 1 && degree(b).connections === 1, 'one connection each way')
    // Gossip moved over: the connection that stays carries a gossip stream each way.
    await waitFor(
      () =>
        la
          .getConnections()[0]
          ?.streams.filter((st) => st.protocol?.startsWith('/meshsub/') && st.status === 'open').length === 2,
      'gossip streams on the connection that stays',
      10_000,
    )
    const [ca] = la.getConnections()
    const [cb] = lb.getConnections()
    // Both ends kept the same connection: one end's outbound is the other's inbound.
    expect(ca.direction).to.not.equal(cb.direction)
    await meshReady([a, b])
    const gossiped: boolean[] = []
    for (const n of [a, b])
      n.addEventListener('block:added', (e) => {
        if (!e.detail.produced) gossiped.push(!e.detail.synced)
      })
    for (let slot = 0; slot < 4; slot++) {
      await stepSlot(clock, genesis, [a, b], slot)
      await waitFor(
        () => sameTip([a, b]) && a.getState().tip.index === slot + 1,
        `block ${slot + 1} on both`,
        4000,
      )
    }
    // Blocks of both producers arrived by gossip, not only by the anti-entropy sync.
    expect(gossiped).to.deep.equal([true, true, true, true])
  })

  it('a direct link that drops is re-dialled within seconds, not after the minute between discoveries', async () => {
    const keys = await testKeys(1, (await testPlatform()).platform.crypto, 'mesh-redial')
    const genesis = bftGenesis(keys, { k: 10 }, 1)
    const clock = new ManualClock(slotStart(genesis, 0) - 1)
    // A hub both know (as two tabs know a relay); they find each other by peer exchange.
    const hub = await startNode(genesis, clock, { bootstrap: [] })
    const a = await startNode(genesis, clock, { bootstrap: [tcpAddr(hub)] })
    const b = await startNode(genesis, clock, { bootstrap: [tcpAddr(hub)] })
    const [la, lb] = [networkOf(a).libp2p!, networkOf(b).libp2p!]
    const linked = () =>
      la.getConnections(lb.peerId).some((c) => c.status === 'open' && c.limits === undefined)
    await waitFor(linked, 'a and b to find each other', 20_000)
    for (let drop = 1; drop <= 2; drop++) {
      for (const c of la.getConnections(lb.peerId)) c.abort(new Error('link lost'))
      await waitFor(() => !linked(), 'the link down')
      const lost = Date.now()
      await waitFor(linked, `the direct link back (drop ${drop})`, 5_000)
      expect(Date.now() - lost, 'ms to restore the link').to.be.below(5_000)
      // Stays up: one connection, not a duplicate pair closing each other.
      await waitFor(
        () => degree(a).connections === 2 && degree(b).connections === 2,
        'one connection per peer',
      )
    }
  })

  it('a peer that answers peer exchange with a malformed peer id is penalised', async () => {
    const keys = await testKeys(1, (await testPlatform()).platform.crypto, 'mesh-liar')
    const genesis = bftGenesis(keys, { k: 10 }, 1)
    const clock = new ManualClock(slotStart(genesis, 0) - 1)
    const node = await startNode(genesis, clock, { bootstrap: [] })
    const liar = await createHost({
      transports: nodeTransports,
      settings: { listen: [], allowPrivateAddresses: true },
    })
    hosts.push(liar)
    let asked = 0
    serveRequests(liar, protocolId(genesis.chainId, PEER_EXCHANGE), {
      maxRequestBytes: 1024,
      maxResponseBytes: 64 * 1024,
      timeoutMs: 5000,
      log: logger('test:liar'),
      handler: async () => {
        asked++
        return encodeCbor({
          type: 'peers',
          peers: [{ id: 'not-a-peer-id', addrs: ['/ip4/127.0.0.1/tcp/1'] }],
        })
      },
    })
    await liar.dial(multiaddr(tcpAddr(node)))
    await waitFor(() => asked > 0, 'the node asking the liar for peers')
    await waitFor(
      () => networkOf(node).peerStanding(liar.peerId.toString()).score < 0,
      'the liar penalised',
      5000,
    )
  })
})
