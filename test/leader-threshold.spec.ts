import { expect } from 'chai'
import { isSlotLeader, leaderValue } from '../src/consensus/leader-threshold.ts'
import { vrfProve } from '../src/crypto/vrf.ts'
import { hash } from '../src/encoding/hash.ts'

const f = { numerator: 1n, denominator: 20n }
/** Deterministic pseudo-random 64-byte "VRF outputs" for the statistics. */
const output = (i: number): Uint8Array => {
  const a = hash(new TextEncoder().encode(`out-${i}`))
  return Uint8Array.from([...a, ...hash(a)])
}

describe('Praos leader threshold (exact arithmetic)', () => {
  it('never elects a pool without stake; f = 1 elects every staked pool', () => {
    expect(isSlotLeader(output(1), 0n, 100n, f)).to.equal(false)
    expect(isSlotLeader(output(1), 5n, 100n, { numerator: 1n, denominator: 1n })).to.equal(true)
  })

  it('decides values just either side of the threshold φ(1) = f exactly', () => {
    // With σ = 1, φ = f = 1/20: a leader value p·2^256 below 2^256/20 leads, at or above it does not.
    const threshold = (1n << 256n) / 20n
    let below = 0
    let above = 0
    for (let i = 0; i < 4000 && (below < 3 || above < 3); i++) {
      const v = leaderValue(output(i))
      const distance = v > threshold ? v - threshold : threshold - v
      if (distance > (1n << 256n) / 1000n) continue
      const lead = isSlotLeader(output(i), 7n, 7n, f)
      expect(lead, `value ${v < threshold ? 'below' : 'above'} φ`).to.equal(v < threshold)
      if (v < threshold) below++
      else above++
    }
    expect(below + above).to.be.greaterThan(0)
  })

  it('is deterministic: the same inputs always give the same answer', () => {
    for (let i = 0; i < 50; i++) {
      expect(isSlotLeader(output(i), 3n, 10n, f)).to.equal(isSlotLeader(output(i), 3n, 10n, f))
    }
  })

  for (const [stake, total] of [
    [5n, 100n],
    [25n, 100n],
    [1n, 2n],
    [1n, 1n],
  ] as const) {
    it(`elects σ = ${stake}/${total} at rate 1 − (1 − f)^σ within 4.5 standard deviations`, () => {
      const n = 6000
      let leads = 0
      for (let i = 0; i < n; i++) if (isSlotLeader(output(i), stake, total, f)) leads++
      const sigma = Number(stake) / Number(total)
      const phi = 1 - (1 - 1 / 20) ** sigma // floats only to state the expectation in the test
      const sd = Math.sqrt(n * phi * (1 - phi))
      expect(Math.abs(leads - n * phi)).to.be.below(4.5 * sd)
    })
  }

  it('uses real VRF outputs the same way', () => {
    const secret = new Uint8Array(32).fill(9)
    let leads = 0
    for (let slot = 0; slot < 300; slot++) {
      if (
        isSlotLeader(vrfProve(secret, Uint8Array.of(slot >> 8, slot & 255)).output, 1n, 2n, {
          numerator: 1n,
          denominator: 2n,
        })
      )
        leads++
    }
    // φ(1/2) with f = 1/2 is 1 − √½ ≈ 0.2929; sd over 300 slots ≈ 7.9.
    expect(Math.abs(leads - 300 * 0.2929)).to.be.below(4.5 * 7.9)
  })
})
