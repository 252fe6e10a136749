import { expect } from 'chai'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { IntakeQueue } from '../src/intake-queue.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { bftGenesis, nextBlock, type TestKey, testKeys } from './support/chain-fixtures.ts'
import { drivenPlatform } from './support/node-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

/** Settles with the rejection's name, or "resolved"; fails the test if neither happens in `ms`. */
function outcomeWithin(promise: Promise<unknown>, ms: number): Promise<string> {
  return Promise.race([
    promise.then(
      () => 'resolved',
      (err: Error) => err.name,
    ),
    new Promise<string>((_, reject) =>
      setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms),
    ),
  ])
}

describe('abort signals: long calls stop promptly when their caller gives up', () => {
  let env: TestPlatform
  let keys: TestKey[]
  let node: PPNode | undefined

  beforeEach(async () => {
    env = await testPlatform()
    keys = await testKeys(2, env.platform.crypto)
  })
  afterEach(async () => {
    await node?.stop()
    node = undefined
    await env.dispose()
  })

  it('start({signal}): an aborted start rejects, leaves nothing open, and a later start works', async () => {
    const genesis = bftGenesis(keys, {}, 2)
    const { platform } = drivenPlatform(env.platform, genesis)
    node = createNode({ genesis }, platform)
    expect(await outcomeWithin(node.start({ signal: AbortSignal.abort() }), 5_000)).to.equal('AbortError')
    expect(node.running).to.equal(false)
    // Aborted just after the store opened: it is closed again (in Node a second open would find it locked).
    const controller = new AbortController()
    const abortOnOpen = {
      ...platform,
      openStore: async (name: string) => {
        const store = await platform.openStore(name)
        controller.abort()
        return store
      },
    }
    const aborted = createNode({ genesis }, abortOnOpen)
    expect(await outcomeWithin(aborted.start({ signal: controller.signal }), 5_000)).to.equal('AbortError')
    expect(aborted.running).to.equal(false)
    await node.start()
    expect(node.running).to.equal(true)
  })

  it('receiveBlock({signal}): a block held for its slot is given up when aborted', async () => {
    const genesis = bftGenesis(keys, {}, 2)
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    clock.set(slotStart(genesis, 0))
    node = createNode({ genesis }, platform)
    await node.start()
    // Slot 3 starts three slots from now: further ahead than the skew allowance, within holdAheadMs.
    const early = await nextBlock(node.chainStore.state, [], keys[1], env.platform.crypto, 3)
    const controller = new AbortController()
    const held = node.receiveBlock(early, { from: 'peer', signal: controller.signal })
    await new Promise((r) => setTimeout(r, 50))
    controller.abort()
    expect(await outcomeWithin(held, 2_000)).to.equal('AbortError')
    expect(await node.chainStore.hasBlock(early.hash)).to.equal(false)
  })

  it('the intake queue withdraws a waiting input when its signal aborts; it never runs', async () => {
    const queue = new IntakeQueue({ maxWaiting: 2, maxPerPeer: 2 })
    let release!: () => void
    const busy = queue.run(() => new Promise<void>((r) => (release = r)), { peer: 'a' })
    const ran: string[] = []
    const controller = new AbortController()
    const waiting = queue.run(async () => ran.push('withdrawn'), { peer: 'b' }, controller.signal)
    controller.abort()
    expect(await outcomeWithin(waiting, 1_000)).to.equal('AbortError')
    // Its place is free again: two more inputs fit in a queue of two.
    const next = [
      queue.run(async () => ran.push('c'), { peer: 'c' }),
      queue.run(async () => ran.push('d'), { peer: 'd' }),
    ]
    release()
    await Promise.all([busy, ...next])
    expect(ran).to.deep.equal(['c', 'd'])
  })
})
