import { expect } from 'chai'
import { makeDevnet } from '../src/devnet.ts'
import { hash } from '../src/encoding/hash.ts'
import type { Block } from '../src/ledger/block.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { drivenPlatform, driveSlots, slotHandled } from './support/node-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

/** Deterministic "random" bytes so the test's leader schedule is the same on every run. */
function seeded(seed: string): (n: number) => Uint8Array {
  let counter = 0
  return (n) => hash(new TextEncoder().encode(`${seed}-${counter++}`)).slice(0, n)
}

describe('standalone Praos devnet node', () => {
  let env: TestPlatform
  let node: PPNode | undefined

  beforeEach(async () => {
    env = await testPlatform()
  })
  afterEach(async () => {
    await node?.stop()
    node = undefined
    await env.dispose()
  })

  it('holding all the stake, leads a fraction f of slots and every block validates', async function () {
    this.timeout(120_000)
    const slots = 200
    const { genesis, producers } = await makeDevnet(
      {
        mode: 'praos',
        genesisTime: 0,
        epochLength: 20,
        activeSlotCoeff: '1/2',
        random: seeded('praos-rate'),
      },
      env.platform.crypto,
    )
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    node = createNode({ genesis, producer: producers[0] }, platform)
    const blocks: Block[] = []
    node.addEventListener('block:added', (e) => blocks.push(e.detail.block))
    const first = slotHandled(node, 0)
    await node.start()
    const produced = ((await first) ? 1 : 0) + (await driveSlots(node, clock, genesis, 1, slots - 1))
    // σ = 1, so the leader probability is 1 − (1 − f)^1 = f = 1/2; allow 4.5 standard deviations.
    const expected = slots / 2
    const bound = 4.5 * Math.sqrt(slots * 0.25)
    expect(produced).to.equal(blocks.length)
    expect(Math.abs(produced - expected)).to.be.below(bound)
    expect(blocks.every((b) => b.header.vrfOutput.length === 64 && b.header.vrfProof.length === 80)).to.equal(
      true,
    )
    // A second node, following, accepts every one of these blocks (VRF proofs, thresholds, nonces).
    const follower = createNode({ genesis, storeName: 'follower' }, platform)
    await follower.start()
    try {
      for (const block of blocks) expect(await follower.receiveBlock(block)).to.equal('added')
      expect(follower.getState().tip.hash).to.equal(node.getState().tip.hash)
    } finally {
      await follower.stop()
    }
  })
})
