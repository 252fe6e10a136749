import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { libp2pNetwork } from '../platform/node/network.ts'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { toHex } from '../src/encoding/hash.ts'
import type { Genesis } from '../src/genesis.ts'
import type { Block } from '../src/ledger/block.ts'
import { createNode } from '../src/node.ts'
import { bftGenesis, type TestKey, testKeys, transfer } from './support/chain-fixtures.ts'
import { meshReady, networkOf, sameTip, stepSlot, tcpAddr, waitFor } from './support/network-fixtures.ts'
import { TcpNodes } from './support/tcp-nodes.ts'
import { type TestPlatform, testCrypto } from './support/test-platform.ts'

describe('network: real libp2p nodes over TCP on 127.0.0.1', function () {
  this.timeout(180_000)
  const testNodes = new TcpNodes()
  let keys: TestKey[]
  let clock: ManualClock

  const startNode = (genesis: Genesis, producer: TestKey, bootstrap: string[], env?: TestPlatform) =>
    testNodes.start(genesis, clock, { producer, bootstrap, ...(env && { env }) })

  beforeEach(async () => {
    keys = await testKeys(4, await testCrypto())
  })

  afterEach(() => testNodes.stopAll())

  it('3 BFT producers in turn: every block reaches all nodes within its slot; 30 slots, one identical chain', async () => {
    const genesis = bftGenesis(keys, { k: 10 }, 3)
    clock = new ManualClock(slotStart(genesis, 0) - 1)
    const a = await startNode(genesis, keys[0], [])
    const b = await startNode(genesis, keys[1], [tcpAddr(a)])
    const c = await startNode(genesis, keys[2], [tcpAddr(a)])
    const all = [a, b, c]
    await meshReady(all)
    const produced = new Map<string, number>()
    const delays: number[] = []
    for (const n of all) {
      n.addEventListener('block:added', (e) => {
        const hash = Array.from(e.detail.block.hash, (x) => x.toString(16).padStart(2, '0')).join('')
        if (e.detail.produced) produced.set(hash, performance.now())
        else delays.push(performance.now() - (produced.get(hash) ?? Number.NaN))
      })
    }
    for (let slot = 0; slot < 30; slot++) {
      await stepSlot(clock, genesis, all, slot)
      // Within the slot (before the clock moves on) the new block is on every node.
      await waitFor(
        () => all.every((n) => n.getState().tip.index === slot + 1),
        `block of slot ${slot} on all nodes`,
        10_000,
      )
    }
    expect(sameTip(all)).to.equal(true)
    const chains = await Promise.all(all.map((n) => n.chainStore.getBlocks(1, 30)))
    expect(chains.map((ch) => ch.map((b) => b.header.slot))).to.deep.equal(
      [0, 1, 2].map(() => Array.from({ length: 30 }, (_, i) => i)),
    )
    // Each of the 30 blocks was produced by one node and received by each of the two others.
    expect(produced.size).to.equal(30)
    expect(delays).to.have.length(60)
    expect(delays.every((d) => Number.isFinite(d) && d >= 0)).to.equal(true)
    delays.sort((x, y) => x - y)
    console.log(
      `      propagation to each other node: median ${delays[delays.length >> 1].toFixed(1)} ms, max ${delays.at(-1)!.toFixed(1)} ms`,
    )
  })

  it('a late joiner syncs 500 blocks with progress events, then follows the tip', async () => {
    const genesis = bftGenesis(keys, { k: 10 }, 1)
    clock = new ManualClock(slotStart(genesis, 0) - 1)
    const a = await startNode(genesis, keys[0], [])
    for (let slot = 0; slot < 500; slot++) await stepSlot(clock, genesis, [a], slot)
    expect(a.getState().tip.index).to.equal(500)
    const progress: Array<[number, number]> = []
    const started = performance.now()
    const joinerEnv = await testNodes.platform()
    const d = createNode(
      {
        genesis,
        network: {
          enableP2P: true,
          listenAddr: ['/ip4/127.0.0.1/tcp/0'],
          bootstrapPeers: [tcpAddr(a)],
          allowPrivateAddresses: true,
        },
      },
      { ...joinerEnv.platform, clock },
      { network: libp2pNetwork() },
    )
    d.addEventListener('sync:progress', (e) => progress.push([e.detail.done, e.detail.total]))
    await d.start()
    testNodes.nodes.push(d)
    await waitFor(() => d.getState().tip.index === 500, 'the late joiner to reach block 500', 60_000)
    const seconds = (performance.now() - started) / 1000
    console.log(`      synced 500 blocks in ${seconds.toFixed(2)} s (${(500 / seconds).toFixed(0)} blocks/s)`)
    expect(progress.at(-1)).to.deep.equal([500, 500])
    expect(progress.length).to.be.at.least(5)
    await meshReady([a, d])
    for (let slot = 500; slot < 505; slot++) await stepSlot(clock, genesis, [a, d], slot)
    await waitFor(() => sameTip([a, d]) && d.getState().tip.index === 505, 'the joiner to follow new blocks')
  })

  it('heals a partition: both sides grow, then all converge on one chain within k; losing transactions return', async () => {
    const genesis = bftGenesis(keys, { k: 10 }, 4)
    clock = new ManualClock(slotStart(genesis, 0) - 1)
    const a = await startNode(genesis, keys[0], [])
    const b = await startNode(genesis, keys[1], [tcpAddr(a)])
    const c = await startNode(genesis, keys[2], [])
    const d = await startNode(genesis, keys[3], [tcpAddr(c)])
    const all = [a, b, c, d]
    await meshReady(all)
    const reorgDepths: number[] = []
    for (const n of all) n.addEventListener('chain:reorg', (e) => reorgDepths.push(e.detail.depth))
    // Each side produces in its own leaders' slots: {a,b} in slots 0,1 mod 4, {c,d} in 2,3 mod 4.
    const tx = await transfer(keys[3], keys[0].address, 42n, 0, c.platform.crypto)
    await c.submitTransaction(tx)
    for (let slot = 0; slot < 16; slot++) {
      await stepSlot(clock, genesis, all, slot)
      await waitFor(() => sameTip([a, b]) && sameTip([c, d]), 'each side to agree internally', 10_000)
    }
    const includesTx = (blocks: Block[]) =>
      blocks.some((blk) => blk.txs.some((t) => toHex(t.hash) === toHex(tx.hash)))
    expect(a.getState().tip.hash).to.not.equal(c.getState().tip.hash)
    expect(a.getState().tip.index).to.equal(8)
    expect(c.getState().tip.index).to.equal(8)
    // The transfer is in the {c, d} side's chain (c produced it in slot 2), not in the {a, b} side's.
    for (const n of [c, d]) expect(includesTx(await n.chainStore.getBlocks(1, 8))).to.equal(true)
    expect(includesTx(await a.chainStore.getBlocks(1, 8))).to.equal(false)
    const sideA = a.getState().tip.hash
    // Rejoin the sides. Both chains are 8 blocks long (BFT keeps its own chain on a tie) until a
    // produces block 9 on its side in slot 16; then everybody converges on that chain.
    await networkOf(b).libp2p!.dial(multiaddr(tcpAddr(c)))
    await meshReady([b, c], 2)
    await stepSlot(clock, genesis, all, 16)
    await waitFor(
      () => sameTip(all) && a.getState().tip.index === 9,
      'convergence on block 9 of side {a, b}',
      10_000,
    )
    expect(toHex((await a.chainStore.getBlocks(8, 1))[0].hash)).to.equal(sideA)
    // c and d each rolled back their 8 blocks (within k), and the transfer of the losing chain went back
    // into their mempools.
    expect(reorgDepths.sort()).to.deep.equal([8, 8])
    expect(reorgDepths.every((depth) => depth <= genesis.k)).to.equal(true)
    for (const n of [c, d]) expect(n.getState().mempool.transactions, 'mempool after the reorg').to.equal(1)
    // c, the next producer of the two (slot 18), puts it in the one chain; every node then has it.
    for (let slot = 17; slot <= 18; slot++) {
      await stepSlot(clock, genesis, all, slot)
      await waitFor(
        () => sameTip(all) && a.getState().tip.index === slot - 7,
        `block of slot ${slot} on all nodes`,
        10_000,
      )
    }
    for (const n of all) {
      const chain = await n.chainStore.getBlocks(1, 100)
      expect(chain.filter((blk) => includesTx([blk])).map((blk) => blk.header.slot)).to.deep.equal([18])
      expect(n.getAccount(keys[3].address).nonce).to.equal(1)
      expect(n.getState().mempool.transactions).to.equal(0)
    }
  })

  it('a restarted node reconnects by itself and catches up', async () => {
    const genesis = bftGenesis(keys, { k: 10 }, 2)
    clock = new ManualClock(slotStart(genesis, 0) - 1)
    const a = await startNode(genesis, keys[0], [])
    const env = await testNodes.platform()
    const b = await startNode(genesis, keys[1], [tcpAddr(a)], env)
    await meshReady([a, b])
    for (let slot = 0; slot < 6; slot++) {
      await stepSlot(clock, genesis, [a, b], slot)
      // Each block reaches the other node before the next slot, as in a synchronous network.
      await waitFor(
        () => sameTip([a, b]) && a.getState().tip.index === slot + 1,
        `block of slot ${slot} on both nodes`,
      )
    }
    await b.stop()
    for (let slot = 6; slot < 20; slot++) await stepSlot(clock, genesis, [a], slot)
    const b2 = await startNode(genesis, keys[1], [tcpAddr(a)], env)
    await waitFor(
      () => b2.getState().tip.hash === a.getState().tip.hash,
      'the restarted node to catch up',
      30_000,
    )
    expect(b2.getPeers().map((p) => p.transport)).to.include('tcp')
  })
})
