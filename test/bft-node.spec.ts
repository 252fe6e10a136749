import { expect } from 'chai'
import { equalBytes } from '../src/encoding/hash.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import type { Block } from '../src/ledger/block.ts'
import { createNode, type PPNode } from '../src/node.ts'
import {
  bftGenesis,
  errorCode,
  nextBlock,
  type TestKey,
  testKeys,
  transfer,
} from './support/chain-fixtures.ts'
import { drivenPlatform, driveSlots, slotHandled } from './support/node-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

describe('standalone BFT node with a driven clock', () => {
  let env: TestPlatform
  let keys: TestKey[]
  let node: PPNode | undefined

  beforeEach(async () => {
    env = await testPlatform()
    keys = await testKeys(3, env.platform.crypto)
  })
  afterEach(async () => {
    await node?.stop()
    node = undefined
    await env.dispose()
  })

  it('produces exactly one block in each of its own slots over 50 slots, and none in others', async () => {
    const genesis = bftGenesis(keys, {}, 2) // keys[0] leads even slots, keys[1] odd ones
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    node = createNode({ genesis, producer: { secret: keys[0].secret } }, platform)
    const blocks: Block[] = []
    node.addEventListener('block:added', (e) => blocks.push(e.detail.block))
    const first = slotHandled(node, 0)
    await node.start()
    await first
    await driveSlots(node, clock, genesis, 1, 49)
    expect(blocks.map((b) => b.header.slot)).to.deep.equal(Array.from({ length: 25 }, (_, i) => i * 2))
    expect(blocks.every((b) => equalBytes(b.header.issuer, keys[0].publicKey))).to.equal(true)
    expect(node.getState().tip.index).to.equal(25)
  })

  it('skips slots whose moment passed while it was busy instead of producing late', async () => {
    const genesis = bftGenesis(keys)
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    node = createNode({ genesis, producer: { secret: keys[0].secret } }, platform)
    const first = slotHandled(node, 0)
    await node.start()
    await first
    const jumped = slotHandled(node, 10)
    clock.set(genesis.genesisTime + 10 * genesis.slotMs + 10)
    await jumped
    const chain = node.chainStore
    expect((await chain.getBlocks(1, 10)).map((b) => b.header.slot)).to.deep.equal([0, 10])
  })

  it('puts submitted transactions in its next block and persists the chain across restarts', async () => {
    const genesis = bftGenesis(keys)
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    node = createNode({ genesis, producer: { secret: keys[0].secret } }, platform)
    const first = slotHandled(node, 0)
    await node.start()
    await first
    await node.submitTransaction(await transfer(keys[1], keys[2].address, 250n, 0, platform.crypto))
    expect(node.getState().mempool.transactions).to.equal(1)
    await driveSlots(node, clock, genesis, 1, 3)
    expect(node.getState().mempool.transactions).to.equal(0)
    expect(node.getAccount(keys[2].address).balance).to.equal(1000250n)
    const tip = node.getState().tip
    await node.stop()
    await node.stop() // idempotent
    node = createNode({ genesis, producer: { secret: keys[0].secret } }, platform)
    const resumed = slotHandled(node, 4)
    clock.set(genesis.genesisTime + 4 * genesis.slotMs)
    await node.start()
    expect(node.getState().tip.index).to.be.at.least(tip.index)
    await resumed
    expect(node.getState().tip.index).to.equal(tip.index + 1)
  })

  it('rejects a bad transaction with the reason and a tx:rejected event', async () => {
    const genesis = bftGenesis(keys)
    const { platform } = drivenPlatform(env.platform, genesis)
    node = createNode({ genesis }, platform)
    await node.start()
    const reasons: string[] = []
    node.addEventListener('tx:rejected', (e) => reasons.push(e.detail.error.code))
    const tx = await transfer(keys[1], keys[2].address, 5n, 3, platform.crypto)
    expect(await errorCode(() => node!.submitTransaction(tx))).to.equal('BAD_NONCE')
    // A forged signature on a transaction that would otherwise be admitted (nonce 0).
    const valid = await transfer(keys[1], keys[2].address, 5n, 0, platform.crypto)
    const forged = { ...valid, signature: new Uint8Array(64) }
    expect(await errorCode(() => node!.submitTransaction(forged))).to.equal('BAD_SIGNATURE')
    // The ledger is checked before the signature: a bad nonce is named even with a bad signature.
    expect(await errorCode(() => node!.submitTransaction({ ...tx, signature: new Uint8Array(64) }))).to.equal(
      'BAD_NONCE',
    )
    expect(reasons).to.deep.equal(['BAD_NONCE', 'BAD_SIGNATURE', 'BAD_NONCE'])
  })

  it('validates received blocks: wrong leader, future slot; an equivocation stays a side candidate', async () => {
    const genesis = bftGenesis(keys, {}, 2)
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    node = createNode({ genesis }, platform) // a follower: produces nothing
    await node.start()
    clock.set(genesis.genesisTime + 3 * genesis.slotMs)
    const state0 = node.chainStore.state
    const wrongLeader = await nextBlock(state0, [], keys[1], platform.crypto, 0)
    expect(await errorCode(() => node!.receiveBlock(wrongLeader))).to.equal('NOT_LEADER')
    const future = await nextBlock(state0, [], keys[0], platform.crypto, 10)
    expect(await errorCode(() => node!.receiveBlock(future))).to.equal('FUTURE_SLOT')
    const a = await nextBlock(state0, [], keys[0], platform.crypto, 2)
    const b = await nextBlock(
      state0,
      [await transfer(keys[1], keys[2].address, 1n, 0, platform.crypto)],
      keys[0],
      platform.crypto,
      2,
    )
    expect(await node.receiveBlock(a)).to.equal('added')
    expect(await node.receiveBlock(a)).to.equal('duplicate')
    expect(await node.receiveBlock(b)).to.equal('side')
    expect(node.isEquivocation(b)).to.equal(true)
    expect(node.getState().tip.hash).to.equal(
      Array.from(a.hash, (x) => x.toString(16).padStart(2, '0')).join(''),
    )
  })

  it('switches to a longer fork and returns the losing fork’s transactions to the mempool', async () => {
    const genesis = bftGenesis(keys, {}, 2)
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    node = createNode({ genesis }, platform)
    await node.start()
    clock.set(genesis.genesisTime + 20 * genesis.slotMs)
    const crypto = platform.crypto
    const s0 = node.chainStore.state
    const tx = await transfer(keys[2], keys[1].address, 7n, 0, crypto)
    // Our chain: block 1 (slot 0, keys[0]) then block 2 (slot 2, keys[0]) carrying tx.
    const a1 = await nextBlock(s0, [], keys[0], crypto, 0)
    await node.receiveBlock(a1)
    const a2 = await nextBlock(node.chainStore.state, [tx], keys[0], crypto, 2)
    await node.receiveBlock(a2)
    // A rival branch from block 1: slots 3, 5, 7 by keys[1] (odd slots), without tx.
    let state = node.chainStore.stateAt(1)!
    const rival: Block[] = []
    for (const slot of [3, 5, 7]) {
      const block = await nextBlock(state, [], keys[1], crypto, slot)
      rival.push(block)
      state = applyBlock(state, block, genesis)
    }
    const reorgs: number[] = []
    node.addEventListener('chain:reorg', (e) => reorgs.push(e.detail.depth))
    expect(await node.receiveBlock(rival[0])).to.equal('side') // same length as ours: keep ours
    expect(await node.receiveBlock(rival[1])).to.equal('added') // longer: switch
    expect(await node.receiveBlock(rival[2])).to.equal('added')
    expect(reorgs).to.deep.equal([1])
    expect(node.getState().tip.hash).to.equal(
      Array.from(rival[2].hash, (b) => b.toString(16).padStart(2, '0')).join(''),
    )
    expect(node.getState().mempool.transactions).to.equal(1)
  })
})
