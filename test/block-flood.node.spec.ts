import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { libp2pNetwork } from '../platform/node/network.ts'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { toHex } from '../src/encoding/hash.ts'
import type { Genesis } from '../src/genesis.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { type Block, decodeBlock, encodeBlock } from '../src/ledger/block.ts'
import { encodeNewBlock } from '../src/net/messages.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { bftGenesis, nextBlock, type TestKey, testKeys, transfer } from './support/chain-fixtures.ts'
import { gossipPeer } from './support/gossip-peer.ts'
import { networkOf, tcpAddr, waitFor } from './support/network-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

const announce = (b: Block): Uint8Array =>
  encodeNewBlock(b.header.index, b.header.slot, b.hash, encodeBlock(b))

// keys[0] leads even slots, keys[1] (the attacker's pool key) odd ones; keys[2] leads none.
describe('block floods over gossip against a real node (Node, TCP)', function () {
  this.timeout(120_000)
  const envs: TestPlatform[] = []
  const nodes: PPNode[] = []
  const hosts: Array<{ stop(): Promise<void> | void }> = []
  let keys: TestKey[]
  let genesis: Genesis
  let clock: ManualClock
  let node: PPNode

  /** A started follower node with a TCP listener, on its own store, driven by `at`. */
  async function follower(at: ManualClock): Promise<PPNode> {
    const env = await testPlatform()
    envs.push(env)
    const started = createNode(
      {
        genesis,
        network: { enableP2P: true, listenAddr: ['/ip4/127.0.0.1/tcp/0'], allowPrivateAddresses: true },
      },
      { ...env.platform, clock: at },
      { network: libp2pNetwork() },
    )
    nodes.push(started)
    await started.start()
    return started
  }

  beforeEach(async () => {
    const env = await testPlatform()
    envs.push(env)
    keys = await testKeys(3, env.platform.crypto, 'flood')
    genesis = bftGenesis(keys, { k: 5 }, 2)
    clock = new ManualClock(slotStart(genesis, 0))
    node = await follower(clock)
  })
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop()
    for (const n of nodes.splice(0)) await n.stop()
    for (const e of envs.splice(0)) await e.dispose()
  })

  /** A plain libp2p peer with gossipsub, connected to the node and in its block topic's mesh. */
  async function gossiper() {
    const topic = `/pp/${genesis.chainId}/blocks/1`
    const host = await gossipPeer(tcpAddr(node), topic)
    hosts.push(host)
    return {
      id: host.peerId.toString(),
      host,
      publish: (data: Uint8Array) => host.services.pubsub.publish(topic, data),
    }
  }
  const standing = (id: string) => networkOf(node).peerStanding(id)
  /** Waits until the node judged everything `id` sent before: it then judges a garbage probe (or banned it). */
  async function judged(peer: Awaited<ReturnType<typeof gossiper>>, what: string): Promise<void> {
    const before = standing(peer.id).score
    await peer.publish(Uint8Array.from([0xff, 0x00])).catch(() => {}) // no topic peers once banned
    await waitFor(() => standing(peer.id).banned || standing(peer.id).score < before, what)
  }

  it('early-block flood: 300 junk blocks and 300 early variants of a pool do not crowd out an honest early block', async () => {
    const crypto = envs[0].platform.crypto
    clock.set(slotStart(genesis, 10) + 1)
    const state = node.chainStore.state
    // Junk: blocks claiming the honest leader for slot 14 (4 slots ahead, within the hold), signed by nobody.
    const template = await nextBlock(state, [], keys[0], crypto, 14)
    const junk = Array.from({ length: 300 }, (_, i) => {
      const prevHash = new Uint8Array(randomBytes(32))
      const signature = Uint8Array.from({ length: 64 }, (_, j) => (i + j) % 256)
      return decodeBlock(encodeBlock({ header: { ...template.header, prevHash }, signature, txs: [] }))
    })
    const junkSender = await gossiper()
    for (const block of junk) await junkSender.publish(announce(block)).catch(() => {})
    await judged(junkSender, 'the junk to be judged')
    // The attacker's own pool key: 300 valid, signed early variants of its slot 13.
    const variants = await Promise.all(
      Array.from({ length: 300 }, async (_, i) =>
        nextBlock(
          state,
          [await transfer(keys[2], keys[1].address, BigInt(i + 1), 0, crypto)],
          keys[1],
          crypto,
          13,
        ),
      ),
    )
    const poolSender = await gossiper()
    for (const block of variants) await poolSender.publish(announce(block)).catch(() => {})
    await judged(poolSender, 'the variants to be judged')
    // An honest early block, two slots ahead, from another peer: held, then taken in when its slot comes.
    const honest = await nextBlock(state, [], keys[0], crypto, 12)
    const honestSender = await gossiper()
    const sleeping = clock.waiting
    await honestSender.publish(announce(honest))
    await waitFor(() => clock.waiting > sleeping, 'the honest early block to be held', 10_000)
    clock.set(slotStart(genesis, 11) + 1)
    await waitFor(() => node.getState().tip.hash === toHex(honest.hash), 'the honest early block', 10_000)
    for (const block of junk.slice(0, 20)) expect(await node.chainStore.hasBlock(block.hash)).to.equal(false)
    expect(standing(junkSender.id).banned).to.equal(true) // forged signatures are offences, checked before holding
    expect(standing(poolSender.id).banned).to.equal(true) // variants past the few held are offences too
    expect(standing(honestSender.id).score).to.equal(0)
  })

  it('honest peers relaying an equivocating leader’s variants, one each, are not charged for those past three', async () => {
    const crypto = envs[0].platform.crypto
    clock.set(slotStart(genesis, 1) + 1)
    const state = node.chainStore.state
    // The leader gave each of six honest peers its own variant of slot 1; each relays the one it has.
    const variants = await Promise.all(
      Array.from({ length: 6 }, async (_, i) =>
        nextBlock(
          state,
          [await transfer(keys[2], keys[1].address, BigInt(i + 1), 0, crypto)],
          keys[1],
          crypto,
          1,
        ),
      ),
    )
    const judged: string[] = []
    node.addEventListener('block:added', () => judged.push('ADDED'))
    node.addEventListener('block:equivocation', () => judged.push('EQUIVOCATION'))
    node.addEventListener('block:rejected', (e) => judged.push(e.detail.error.code))
    const relayers = []
    for (const [i, block] of variants.entries()) {
      const relayer = await gossiper()
      relayers.push(relayer)
      await relayer.publish(announce(block))
      await waitFor(() => judged.length > i, `variant ${i + 1} to be judged`)
    }
    expect(judged.slice(0, 3)).to.include('ADDED')
    expect(judged.slice(3)).to.deep.equal(['TOO_MANY_VARIANTS', 'TOO_MANY_VARIANTS', 'TOO_MANY_VARIANTS'])
    for (const relayer of relayers) expect(standing(relayer.id).score, relayer.id).to.equal(0)
  })

  it('variant flood: a slot leader’s blocks for one slot past three are dropped, the sender charged; sync still follows a longer chain through one', async () => {
    const crypto = envs[0].platform.crypto
    clock.set(slotStart(genesis, 1) + 1)
    const state = node.chainStore.state
    const memo = 'x'.repeat(200)
    // 40 valid blocks of the attacker's pool for slot 1, each with another transaction.
    const variants = await Promise.all(
      Array.from({ length: 40 }, async (_, i) =>
        nextBlock(
          state,
          [await transfer(keys[2], keys[1].address, BigInt(i + 1), 0, crypto, { memo })],
          keys[1],
          crypto,
          1,
        ),
      ),
    )
    const judged: string[] = []
    node.addEventListener('block:equivocation', () => judged.push('EQUIVOCATION'))
    node.addEventListener('block:rejected', (e) => judged.push(e.detail.error.code))
    const attacker = await gossiper()
    await attacker.publish(announce(variants[0]))
    await waitFor(() => node.getState().tip.hash === toHex(variants[0].hash), 'the first block of slot 1')
    // One at a time, each judged before the next (the intake queue would drop a burst past 32).
    for (const [i, block] of variants.slice(1).entries()) {
      if (standing(attacker.id).banned) break
      await attacker.publish(announce(block)).catch(() => {})
      await waitFor(() => judged.length > i || standing(attacker.id).banned, `variant ${i + 1} to be judged`)
    }
    const stored: Block[] = []
    for (const block of variants) if (await node.chainStore.hasBlock(block.hash)) stored.push(block)
    const bytes = stored.reduce((sum, b) => sum + b.size, 0)
    expect(stored.length, `${stored.length} variants stored (${bytes} bytes)`).to.be.at.most(3)
    expect(judged.filter((code) => code === 'TOO_MANY_VARIANTS').length).to.be.at.least(1)
    expect(standing(attacker.id).banned).to.equal(true)
    expect(node.getState().tip.hash).to.equal(toHex(variants[0].hash))
    // An honest node whose chain goes through a variant this node dropped, and is longer: followed by sync.
    const dropped = variants[30]
    expect(await node.chainStore.hasBlock(dropped.hash)).to.equal(false)
    const honestClock = new ManualClock(slotStart(genesis, 5))
    const honest = await follower(honestClock)
    let s = applyBlock(state, dropped, genesis)
    const chain = [dropped]
    for (const slot of [2, 4]) {
      const block = await nextBlock(s, [], keys[0], crypto, slot)
      s = applyBlock(s, block, genesis)
      chain.push(block)
    }
    for (const block of chain) expect(await honest.receiveBlock(block)).to.equal('added')
    clock.set(slotStart(genesis, 5))
    await networkOf(honest).libp2p!.dial(multiaddr(tcpAddr(node)))
    await waitFor(
      () => node.getState().tip.hash === toHex(chain[2].hash),
      'the node to sync the longer chain',
    )
    expect(toHex((await node.chainStore.hashAt(1))!)).to.equal(toHex(dropped.hash))
    expect(standing(networkOf(honest).libp2p!.peerId.toString()).score).to.equal(0)
  })
})
