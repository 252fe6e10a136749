import { expect } from 'chai'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { IntakeQueue } from '../src/intake-queue.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { bftGenesis, nextBlock, testKeys, transfer } from './support/chain-fixtures.ts'
import { drivenPlatform, slotHandled } from './support/node-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

const tick = () => new Promise((r) => setTimeout(r, 1))

describe('intake queue: the node’s own work first, peer input bounded and fair', () => {
  it('runs the node’s own task after at most four of the peer inputs queued before it', async () => {
    const queue = new IntakeQueue()
    const order: string[] = []
    const task = (name: string) => async () => {
      order.push(name)
      await tick()
    }
    const all = [queue.run(task('peer-0'), { peer: 'a' })]
    for (let i = 1; i <= 10; i++) all.push(queue.run(task(`peer-${i}`), { peer: `p${i % 2}` }))
    all.push(queue.run(task('own'), { own: true }))
    await Promise.all(all)
    // peer-0 was already running; the own task lets 4 earlier inputs in (fresh blocks to build on), not 10.
    expect(order.indexOf('own')).to.equal(5)
    expect(order).to.have.length(12)
  })

  it('serves peers in turn and, when full, drops the newest input of the peer with most waiting', async () => {
    const queue = new IntakeQueue({ maxWaiting: 8, maxPerPeer: 6 })
    const order: string[] = []
    const outcome = (name: string, source: { peer: string }) =>
      queue
        .run(async () => {
          order.push(name)
          await tick()
        }, source)
        .then(
          () => 'ran',
          (e) => e.code,
        )
    const results: Record<string, Promise<string>> = {}
    results.blocker = outcome('blocker', { peer: 'x' })
    for (let i = 0; i < 7; i++) results[`a${i}`] = outcome(`a${i}`, { peer: 'a' }) // a6: over a's own bound
    for (let i = 0; i < 3; i++) results[`b${i}`] = outcome(`b${i}`, { peer: 'b' }) // b2 pushes a5 out
    const settled = Object.fromEntries(
      await Promise.all(Object.entries(results).map(async ([k, p]) => [k, await p])),
    )
    expect(settled.a6).to.equal('INTAKE_FULL')
    expect(settled.a5).to.equal('INTAKE_FULL')
    expect(settled.a4).to.equal('ran')
    expect(['b0', 'b1', 'b2'].map((k) => settled[k])).to.deep.equal(['ran', 'ran', 'ran'])
    expect(order).to.deep.equal(['blocker', 'a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'a4'])
  })
})

describe('a node under a flood of peer blocks still makes its own block in its slot first', () => {
  let env: TestPlatform
  let node: PPNode

  beforeEach(async () => {
    env = await testPlatform()
  })
  afterEach(async () => {
    await node.stop()
    await env.dispose()
  })

  it('produces before handling 30 queued blocks from a flooding peer', async () => {
    const keys = await testKeys(3, env.platform.crypto)
    const transferTx = (i: number) =>
      transfer(keys[1], keys[2].address, BigInt(i + 1), 0, env.platform.crypto)
    const genesis = bftGenesis(keys, {}, 2) // keys[0] (the node) leads even slots
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    node = createNode({ genesis, producer: { secret: keys[0].secret } }, platform)
    const events: string[] = []
    node.addEventListener('block:added', (e) => events.push(e.detail.produced ? 'produced' : 'received'))
    const first = slotHandled(node, 0)
    await node.start()
    expect(await first).to.equal(true) // block 1; the node now waits for slot 1
    // Blocks from a key that leads no slot, each one refused after its checks, queued first.
    const state = node.chainStore.state
    const flood = await Promise.all(
      Array.from({ length: 30 }, async (_, i) =>
        nextBlock(state, [await transferTx(i)], keys[2], env.platform.crypto, 1),
      ),
    )
    const handled = flood.map((block) =>
      node.receiveBlock(block, { from: 'flooder' }).then(
        () => events.push('flood-ok'),
        () => events.push('flood-refused'),
      ),
    )
    const produced = slotHandled(node, 2)
    clock.set(slotStart(genesis, 2)) // the node's next slot
    expect(await produced).to.equal(true)
    await Promise.all(handled)
    // At most the flood block already being checked and four more ran before the node's own block.
    expect(events.indexOf('produced', 1)).to.be.at.most(6)
    expect(events.filter((e) => e === 'flood-refused')).to.have.length(30)
  })
})
