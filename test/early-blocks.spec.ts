import { expect } from 'chai'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { type EarlyBlock, EarlyBlockHold } from '../src/early-blocks.ts'
import { bftGenesis, errorCode, testKeys } from './support/chain-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

const tick = () => new Promise((r) => setTimeout(r, 1))

describe('early-block hold: bounded per peer, per issuer and slot, in count and bytes', () => {
  let env: TestPlatform
  let clock: ManualClock
  let genesis: ReturnType<typeof bftGenesis>
  let next = 0
  /** An early block (slot 43 by default, three slots ahead of the clock) from `peer`. */
  const early = (peer: string, more: Partial<EarlyBlock> = {}): EarlyBlock => ({
    peer,
    slot: 43,
    bytes: 100,
    variant: `issuer-${next}:43`,
    hash: `hash-${next++}`,
    ...more,
  })
  /** Holds `block`; returns its fate so far: 'held' while waiting, then 'released' or the error code. */
  function hold(on: EarlyBlockHold, block: EarlyBlock): { fate: string; done: Promise<void> } {
    const entry = { fate: 'held', done: Promise.resolve() }
    entry.done = on.hold(block, new AbortController().signal).then(
      () => {
        entry.fate = 'released'
      },
      (err: { code?: string }) => {
        entry.fate = err.code ?? String(err)
      },
    )
    return entry
  }

  beforeEach(async () => {
    env = await testPlatform()
    genesis = bftGenesis(await testKeys(2, env.platform.crypto), {}, 2)
    clock = new ManualClock(slotStart(genesis, 40))
  })
  afterEach(() => env.dispose())

  it('holds at most a few blocks per peer; another peer is still held', async () => {
    const on = new EarlyBlockHold(clock, genesis, { clockSkewMs: 1000, holdAheadMs: 5000 })
    const mine = Array.from({ length: 8 }, () => hold(on, early('a')))
    expect(await errorCode(() => on.hold(early('a'), new AbortController().signal))).to.equal('INTAKE_FULL')
    const other = hold(on, early('b'))
    await tick()
    expect([...mine, other].every((h) => h.fate === 'held')).to.equal(true)
    clock.set(slotStart(genesis, 42)) // within the one-slot skew of slot 43
    await Promise.all([...mine, other].map((h) => h.done))
    expect([...mine, other].every((h) => h.fate === 'released')).to.equal(true)
  })

  it('holds at most three different blocks of one issuer for one slot', async () => {
    const on = new EarlyBlockHold(clock, genesis, { clockSkewMs: 1000, holdAheadMs: 5000 })
    const variant = 'pool:43'
    const first = early('a', { variant })
    hold(on, first)
    for (const peer of ['b', 'c']) hold(on, early(peer, { variant }))
    expect(await errorCode(() => on.hold(early('d', { variant }), new AbortController().signal))).to.equal(
      'TOO_MANY_VARIANTS',
    )
    const again = hold(on, { ...first, peer: 'd' }) // the same block from another peer
    await tick()
    expect(again.fate).to.equal('held')
  })

  it('when full (in count or bytes), drops the newest block of the peer holding the most bytes', async () => {
    const on = new EarlyBlockHold(clock, genesis, {
      clockSkewMs: 1000,
      holdAheadMs: 5000,
      maxPerPeer: 8,
      maxBytes: 1000,
    })
    const big = [hold(on, early('a', { bytes: 400 })), hold(on, early('a', { bytes: 400 }))]
    const small = hold(on, early('b', { bytes: 300 })) // 1,100 bytes: a's newest makes room
    await tick()
    expect([big[0].fate, big[1].fate, small.fate]).to.deep.equal(['held', 'INTAKE_FULL', 'held'])
    // b now holds 300 of 700 bytes; a block that would make b the heaviest is refused, nothing dropped.
    expect(await errorCode(() => on.hold(early('b', { bytes: 400 }), new AbortController().signal))).to.equal(
      'INTAKE_FULL',
    )
    // A lone block over the byte bound (a large sync run) is held all the same.
    const lone = new EarlyBlockHold(clock, genesis, { clockSkewMs: 1000, holdAheadMs: 5000, maxBytes: 1000 })
    const run = hold(lone, early('s', { bytes: 5000 }))
    await tick()
    expect(run.fate).to.equal('held')
    const counted = new EarlyBlockHold(clock, genesis, { clockSkewMs: 1000, holdAheadMs: 5000, maxHeld: 3 })
    const flood = [hold(counted, early('x')), hold(counted, early('x')), hold(counted, early('x'))]
    const honest = hold(counted, early('y'))
    await tick()
    expect([...flood, honest].map((h) => h.fate)).to.deep.equal(['held', 'held', 'INTAKE_FULL', 'held'])
  })

  it('lets blocks within the skew, or too far ahead, pass at once', async () => {
    const on = new EarlyBlockHold(clock, genesis, { clockSkewMs: 1000, holdAheadMs: 5000 })
    const near = hold(on, early('a', { slot: 41 }))
    const far = hold(on, early('a', { slot: 50 }))
    await Promise.all([near.done, far.done])
    expect([near.fate, far.fate]).to.deep.equal(['released', 'released'])
  })
})
