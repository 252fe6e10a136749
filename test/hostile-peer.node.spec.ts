import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { libp2pNetwork, nodeTransports } from '../platform/node/network.ts'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { encodeCbor } from '../src/encoding/cbor.ts'
import { toHex } from '../src/encoding/hash.ts'
import { type Block, encodeBlock } from '../src/ledger/block.ts'
import { encodeTransaction } from '../src/ledger/transaction.ts'
import { createHost } from '../src/net/host.ts'
import { encodeGetBlocks, encodeNewBlock, encodeNewTx } from '../src/net/messages.ts'
import { protocolId } from '../src/net/protocol-id.ts'
import { sendRequest } from '../src/net/request-response.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { bftGenesis, nextBlock, type TestKey, testKeys, transfer } from './support/chain-fixtures.ts'
import { gossipPeer } from './support/gossip-peer.ts'
import { networkOf, stepSlot, tcpAddr, waitFor } from './support/network-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

describe('hostile peer against a real node (Node, TCP)', function () {
  this.timeout(120_000)
  let env: TestPlatform
  let node: PPNode
  let keys: TestKey[]
  let clock: ManualClock
  const hosts: Array<{ stop(): Promise<void> | void }> = []

  const genesisOf = (k: TestKey[]) => bftGenesis(k, { k: 5 }, 2) // keys[0]: the node (even slots), keys[1]: the attacker (odd)

  beforeEach(async () => {
    env = await testPlatform()
    keys = await testKeys(3, env.platform.crypto, 'hostile')
    const genesis = genesisOf(keys)
    clock = new ManualClock(slotStart(genesis, 0) - 1)
    node = createNode(
      {
        genesis,
        producer: { secret: keys[0].secret },
        network: { enableP2P: true, listenAddr: ['/ip4/127.0.0.1/tcp/0'], allowPrivateAddresses: true },
      },
      { ...env.platform, clock },
      { network: libp2pNetwork() },
    )
    await node.start()
  })
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop()
    await node.stop()
    await env.dispose()
  })

  async function attacker() {
    const host = await gossipPeer(tcpAddr(node), `/pp/${node.genesis.chainId}/blocks/1`)
    hosts.push(host)
    return host
  }

  it('invalid blocks on the gossip topic: each attack received and refused, chain unchanged, node keeps producing, a repeat offender banned', async () => {
    const genesis = node.genesis
    await stepSlot(clock, genesis, [node], 0)
    const topic = `/pp/${genesis.chainId}/blocks/1`
    const chainBefore = node.getState().tip
    const heapBefore = process.memoryUsage().heapUsed
    const state = node.chainStore.state
    const crypto = env.platform.crypto
    const announce = (b: Block) => encodeNewBlock(b.header.index, b.header.slot, b.hash, encodeBlock(b))
    clock.set(slotStart(genesis, 1) + 1)
    const good = await nextBlock(state, [], keys[1], crypto, 1)
    const rejected: string[] = []
    node.addEventListener('block:rejected', (e) => rejected.push(e.detail.error.code))
    const attacks: Array<[string, Uint8Array, string?]> = [
      ['bad signature', announce({ ...good, signature: new Uint8Array(64).fill(1) }), 'BAD_SIGNATURE'],
      [
        'wrong leader (slot 1 signed by a stranger)',
        announce(await nextBlock(state, [], keys[2], crypto, 1)),
        'NOT_LEADER',
      ],
      ['future slot', announce(await nextBlock(state, [], keys[1], crypto, 999)), 'FUTURE_SLOT'],
      [
        'wrong index for its parent',
        announce({
          ...(await nextBlock(state, [], keys[1], crypto, 1)),
          header: { ...good.header, index: 7 },
        }),
      ],
      ['not CBOR', Uint8Array.from([0xff, 0x00, 0x13])],
      ['CBOR of the wrong shape', encodeCbor({ type: 'new_block', index: 'x' })],
      ['announcement not matching its block', encodeNewBlock(9, 9, good.hash, encodeBlock(good))],
    ]
    // Each attack comes from a fresh identity (one attacker would be banned before the last ones
    // are sent) and is judged before the next: its sender's score drops, so each one was received
    // and refused; a block-level lie also gives its block:rejected code.
    const judged: string[] = []
    for (const [what, data, code] of attacks) {
      const host = await attacker()
      const standing = () => networkOf(node).peerStanding(host.peerId.toString())
      const codes = rejected.length
      const before = standing().score
      await host.services.pubsub.publish(topic, data)
      // A banned peer's score is reset to 0 and its messages dropped unread: only a drop counts.
      await waitFor(() => standing().score < before, `the node to judge: ${what}`)
      if (code !== undefined) {
        await waitFor(() => rejected.length > codes, `block:rejected for: ${what}`)
        expect(rejected.slice(codes), what).to.deep.equal([code])
      }
      judged.push(what)
    }
    expect(judged).to.deep.equal(attacks.map(([what]) => what))
    expect(node.getState().tip.hash).to.equal(chainBefore.hash)
    // One peer that keeps offending is banned: the node closes its connection and refuses new ones.
    const host = await attacker()
    const repeatId = host.peerId.toString()
    const standing = () => networkOf(node).peerStanding(repeatId)
    for (let i = 0; i < 10 && !standing().banned; i++) {
      const before = standing().score
      await host.services.pubsub.publish(topic, Uint8Array.from([0xff, 0x01, i]))
      await waitFor(() => standing().banned || standing().score < before, `the node to judge garbage ${i}`)
    }
    expect(standing().banned).to.equal(true)
    const connected = () => node.getPeers().some((p) => p.id === repeatId)
    await waitFor(() => !connected(), 'the repeat offender to be disconnected', 20_000)
    // Coming back does not help: the node drops the banned peer's new connection at once.
    await host.dial(multiaddr(tcpAddr(node))).catch(() => {})
    await new Promise((r) => setTimeout(r, 300))
    expect(connected()).to.equal(false)
    expect(node.getState().tip.hash).to.equal(chainBefore.hash)
    // It keeps producing its own slots.
    await stepSlot(clock, genesis, [node], 2)
    await stepSlot(clock, genesis, [node], 4)
    expect(node.getState().tip.index).to.equal(chainBefore.index + 2)
    const blocks = await node.chainStore.getBlocks(1, 100)
    expect(blocks.every((b) => toHex(b.header.issuer) === toHex(keys[0].publicKey))).to.equal(true)
    expect(process.memoryUsage().heapUsed - heapBefore).to.be.below(64 * 2 ** 20)
  })

  it('equivocation: a second valid block of one issuer for one slot is kept as a candidate, reported, not relayed', async () => {
    const genesis = node.genesis
    const host = await attacker()
    const topic = `/pp/${genesis.chainId}/blocks/1`
    clock.set(slotStart(genesis, 1) + 1)
    const state = node.chainStore.state
    const crypto = env.platform.crypto
    const first = await nextBlock(state, [], keys[1], crypto, 1)
    const second = await nextBlock(
      state,
      [await transfer(keys[2], keys[0].address, 1n, 0, crypto)],
      keys[1],
      crypto,
      1,
    )
    const equivocations: string[][] = []
    node.addEventListener('block:equivocation', (e) => equivocations.push(e.detail.hashes))
    await host.services.pubsub.publish(topic, encodeNewBlock(1, 1, first.hash, encodeBlock(first)))
    await waitFor(() => node.getState().tip.index === 1, 'the first block')
    await host.services.pubsub.publish(topic, encodeNewBlock(1, 1, second.hash, encodeBlock(second)))
    await waitFor(() => equivocations.length > 0, 'the equivocating block to be judged')
    expect(equivocations).to.deep.equal([[toHex(first.hash), toHex(second.hash)]])
    expect(await node.chainStore.hasBlock(second.hash)).to.equal(true) // a fork candidate
    expect(node.getState().tip.hash).to.equal(toHex(first.hash)) // same length: ours stays
    expect(networkOf(node).peerStanding(host.peerId.toString()).score).to.equal(0) // not an offence
  })

  it('bad transactions on the gossip topic: malformed and forged ones are rejected, replays ignored', async () => {
    const genesis = node.genesis
    const host = await attacker()
    const crypto = env.platform.crypto
    const txTopic = `/pp/${genesis.chainId}/txs/1`
    const tx = await transfer(keys[2], keys[0].address, 3n, 0, crypto)
    await host.services.pubsub.publish(txTopic, encodeNewTx(encodeTransaction(tx)))
    await waitFor(() => node.getState().mempool.transactions === 1, 'a valid transaction')
    const refusals: string[] = []
    node.addEventListener('tx:rejected', (e) => refusals.push(e.detail.error.code))
    const standing = () => networkOf(node).peerStanding(host.peerId.toString())
    // A replay is refused as a duplicate but not punished; a forged signature is both.
    await host.services.pubsub.publish(txTopic, encodeNewTx(encodeTransaction(tx)))
    // A forgery the ledger would take (the next nonce), so only its signature can refuse it.
    const next = await transfer(keys[2], keys[0].address, 3n, 1, crypto)
    const forged = { ...next, signature: new Uint8Array(64) }
    await host.services.pubsub.publish(txTopic, encodeNewTx(encodeTransaction(forged)))
    await waitFor(() => refusals.length === 2, 'the node to judge the replay and the forgery')
    expect(refusals).to.deep.equal(['DUPLICATE_TX', 'BAD_SIGNATURE'])
    const afterForgery = standing().score
    expect(afterForgery).to.be.below(0)
    await host.services.pubsub.publish(txTopic, Uint8Array.from([1, 2, 3]))
    await waitFor(() => standing().score < afterForgery, 'the node to judge the garbage')
    expect(node.getState().mempool.transactions).to.equal(1)
  })

  it('hostile requests: bad get_blocks, garbage, a stalled stream, a flood — errors, not crashes; the sender is banned', async () => {
    const genesis = node.genesis
    for (let s = 0; s < 6; s += 2) await stepSlot(clock, genesis, [node], s)
    const plainHost = async () => {
      const host = await createHost({
        transports: nodeTransports,
        settings: { listen: [], allowPrivateAddresses: true },
      })
      hosts.push(host)
      return host
    }
    const bad = await plainHost()
    const peer = multiaddr(tcpAddr(node))
    const blocksProtocol = protocolId(genesis.chainId, 'blocks')
    const ask = (host: typeof bad, body: Uint8Array) =>
      sendRequest(host, peer, blocksProtocol, body, { maxResponseBytes: 1 << 20, timeoutMs: 5000 }).then(
        () => 'answered',
        (e: { code?: string; message?: string }) => `${e.code}`,
      )
    // A well-behaved peer flooding requests gets answers (within stream limits) .
    const flooder = await plainHost()
    expect(await ask(flooder, encodeGetBlocks(1, 3))).to.equal('answered') // connected first, then the flood
    const flood = await Promise.all(Array.from({ length: 300 }, () => ask(flooder, encodeGetBlocks(1, 3))))
    expect(flood.filter((r) => r === 'answered').length).to.be.at.least(64)
    // A stream that announces 1,000 bytes and sends 3: the node gives up on it by itself later.
    const stalled = await bad.dialProtocol(peer, blocksProtocol)
    stalled.send(Uint8Array.from([0xe8, 0x07, 1, 2, 3]))
    expect(await ask(bad, encodeGetBlocks(1, 2))).to.equal('answered')
    expect(await ask(bad, encodeCbor({ type: 'get_blocks', from_index: 1, count: 1_000_000 }))).to.equal(
      'REQUEST_REFUSED',
    )
    expect(await ask(bad, encodeCbor({ type: 'get_blocks', from_index: -5, count: 3 }))).to.equal(
      'REQUEST_REFUSED',
    )
    expect(await ask(bad, Uint8Array.from([0xde, 0xad]))).to.equal('REQUEST_REFUSED')
    // Over the request limit: the stream is cut. An empty map: refused (or cut, once banned).
    expect(await ask(bad, new Uint8Array(64 * 1024))).to.not.equal('answered')
    expect(await ask(bad, Uint8Array.from([0xa0]))).to.not.equal('answered')
    // Enough garbage: banned and cut off.
    const badId = bad.peerId.toString()
    await waitFor(
      () => !node.getPeers().some((p) => p.id === badId),
      'the sender of garbage to be disconnected',
      20_000,
    )
    expect(await ask(bad, encodeGetBlocks(1, 2))).to.not.equal('answered')
    // The node is still healthy: it produces and serves.
    await stepSlot(clock, genesis, [node], 6)
    expect(node.getState().tip.index).to.equal(4)
    expect(await ask(flooder, encodeGetBlocks(4, 1))).to.equal('answered')
  })
})
