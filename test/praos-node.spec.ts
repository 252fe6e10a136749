import { expect } from 'chai'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { makeDevnet } from '../src/devnet.ts'
import { hash, toHex } from '../src/encoding/hash.ts'
import { genesisToJson, parseGenesis } from '../src/genesis.ts'
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
        epochLength: 20, // > 3k/f = 12 slots
        k: 2,
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

  it('stake-weighted: pools with 60/30/10 % of the stake lead slots at rates 1 − (1 − f)^σ, not σ·f nor equally', async function () {
    this.timeout(180_000)
    // f = 9/10 makes the real and the wrong formulas far apart: φ(σ) = 1 − 0.1^σ gives 0.749, 0.499 and
    // 0.206 per slot, while σ·f gives 0.54, 0.27, 0.09 and equal shares (σ = 1/3) give 0.536 each.
    // k = 2, so the stability window 3k/f is 6.67 slots and epochs of 12 slots are long enough; 300 slots
    // are 25 epochs, so stake snapshots and nonces of many epochs are used.
    const slots = 300
    const f = 0.9
    const shares = [0.6, 0.3, 0.1]
    const devnet = await makeDevnet(
      {
        mode: 'praos',
        producers: 3,
        genesisTime: 0,
        epochLength: 12,
        k: 2,
        activeSlotCoeff: '9/10',
        random: seeded('praos-stake'),
      },
      env.platform.crypto,
    )
    const json = genesisToJson(devnet.genesis)
    devnet.producers.forEach((p, i) => {
      json.balances[p.address] = String(BigInt(shares[i] * 10) * 100_000_000n)
    })
    const genesis = parseGenesis(json)
    const clock = new ManualClock(slotStart(genesis, 0) - 1)
    const pools = devnet.producers.map((producer, i) =>
      createNode({ genesis, producer, storeName: `pool-${i}` }, { ...env.platform, clock }),
    )
    const errors: string[] = []
    const fresh: Block[] = []
    const led = [0, 0, 0]
    pools.forEach((pool, i) => {
      pool.addEventListener('error', (e) => errors.push(`pool ${i}: ${e.detail.error.message}`))
      pool.addEventListener('block:added', (e) => e.detail.produced && fresh.push(e.detail.block))
      pool.addEventListener('slot', (e) => e.detail.produced && led[i]++)
    })
    try {
      for (const pool of pools) await pool.start()
      for (let slot = 0; slot < slots; slot++) {
        const handled = pools.map((pool) => slotHandled(pool, slot))
        clock.set(slotStart(genesis, slot))
        await Promise.all(handled)
        // A synchronous network: every block of the slot reaches every other pool before the next slot.
        for (const block of fresh.splice(0)) {
          for (const pool of pools) {
            if (pool.getState().tip.hash === toHex(block.hash)) continue
            expect(await pool.receiveBlock(block)).to.be.oneOf(['added', 'side', 'duplicate'])
          }
        }
      }
      expect(errors).to.deep.equal([])
      // Each pool's count of led slots is binomial(slots, φ(σ)); allow 3.5 standard deviations.
      const report = led.map((count, i) => {
        const phi = 1 - (1 - f) ** shares[i]
        return { pool: i, count, expected: slots * phi, bound: 3.5 * Math.sqrt(slots * phi * (1 - phi)) }
      })
      for (const { pool, count, expected, bound } of report) {
        expect(Math.abs(count - expected), `pool ${pool}: ${JSON.stringify(report)}`).to.be.below(bound)
      }
      // Every pool ends on one chain (ties are broken by the lowest VRF value, the same on every node).
      expect(new Set(pools.map((p) => p.getState().tip.hash)).size).to.equal(1)
      expect(pools[0].getState().tip.index).to.be.greaterThan(slots / 2)
    } finally {
      for (const pool of pools) await pool.stop()
    }
  })
})
