import { expect } from 'chai'
import { isSlotLeader, leaderValue } from '../src/consensus/leader-threshold.ts'
import { vrfProve } from '../src/crypto/vrf.ts'
import { hash } from '../src/encoding/hash.ts'
import type { Rational } from '../src/genesis.ts'

const TWO_256 = 1n << 256n
const rational = (numerator: bigint, denominator: bigint): Rational => ({ numerator, denominator })

/** Deterministic pseudo-random 64-byte "VRF outputs" (leaderValue hashes them, so values are uniform). */
const output = (i: number): Uint8Array => {
  const a = hash(new TextEncoder().encode(`out-${i}`))
  return Uint8Array.from([...a, ...hash(a)])
}

/** ⌊x^(1/b)⌋ for a non-negative bigint x (Newton's method on integers). */
function integerRoot(x: bigint, b: bigint): bigint {
  if (x < 2n) return x
  let r = 1n << (BigInt(x.toString(2).length) / b + 1n) // an upper bound of the root
  for (;;) {
    const next = ((b - 1n) * r + x / r ** (b - 1n)) / b
    if (next >= r) return r
    r = next
  }
}

/**
 * The reference threshold, independent of the implementation: the integer T such that a leader value v
 * (p = v / 2^256) is below φ(σ) = 1 − (1 − f)^σ exactly when v < T, for σ = a/b.
 * 2^256 − v > 2^256·(1 − f)^(a/b) ⇔ 2^256 − v > R with R = ⌊(2^(256b)·(d − n)^a / d^a)^(1/b)⌋ when the
 * root is irrational (every case below except σ = 1, where the root is exact and handled by `exact`).
 */
function referenceThreshold(a: bigint, b: bigint, f: Rational): { threshold: bigint; exact: boolean } {
  const { numerator: n, denominator: d } = f
  const radicand = (TWO_256 ** b * (d - n) ** a) / d ** a
  const root = integerRoot(radicand, b)
  const exact = root ** b * d ** a === TWO_256 ** b * (d - n) ** a
  // Irrational (or non-integer) root Q with R < Q < R + 1: v leads ⇔ 2^256 − v ≥ R + 1 ⇔ v < 2^256 − R.
  // Exact integer root Q = R: v leads ⇔ 2^256 − v > R ⇔ v < 2^256 − R as well.
  return { threshold: TWO_256 - root, exact }
}

/** 20 000 sample outputs sorted by leader value, so the ones nearest any threshold are found by bisection. */
const SAMPLES = 20_000
let sorted: Array<{ out: Uint8Array; value: bigint }> = []

/** Index of the first sample whose value is ≥ v. */
function firstAtOrAbove(v: bigint): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid].value < v) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The implementation's own threshold, bracketed between two adjacent samples: [largest value that leads,
 * smallest value that does not]. Only isSlotLeader is consulted (bisection, as it is monotone in the value).
 */
function bracket(stake: bigint, total: bigint, f: Rational): [bigint, bigint] {
  expect(isSlotLeader(sorted[0].out, stake, total, f), 'the smallest value leads').to.equal(true)
  expect(isSlotLeader(sorted.at(-1)!.out, stake, total, f), 'the largest value does not lead').to.equal(false)
  let lo = 0 // leads
  let hi = sorted.length - 1 // does not lead
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (isSlotLeader(sorted[mid].out, stake, total, f)) lo = mid
    else hi = mid
  }
  return [sorted[lo].value, sorted[hi].value]
}

/** A fraction of 2^256 as a decimal string with `digits` digits (for readable failure messages). */
const decimal = (v: bigint, digits = 12): string =>
  `0.${((v * 10n ** BigInt(digits)) / TWO_256).toString().padStart(digits, '0')}`

describe('Praos leader threshold (exact arithmetic)', () => {
  before(() => {
    sorted = Array.from({ length: SAMPLES }, (_, i) => {
      const out = output(i)
      return { out, value: leaderValue(out) }
    }).sort((x, y) => (x.value < y.value ? -1 : x.value > y.value ? 1 : 0))
  })

  it('never elects a pool without stake; f = 1 elects every staked pool', () => {
    for (const { out } of sorted.slice(0, 20))
      expect(isSlotLeader(out, 0n, 100n, rational(1n, 2n))).to.equal(false)
    for (const { out } of sorted.slice(-20))
      expect(isSlotLeader(out, 5n, 100n, rational(1n, 1n))).to.equal(true)
  })

  it('the reference threshold agrees with known decimal values of 1 − (1 − f)^σ', () => {
    // 1 − 2^(−1/2) = 0.292893218813452475599…, 1 − (19/20)^(1/4) = 0.012741455098566…, f itself for σ = 1.
    expect(decimal(referenceThreshold(1n, 2n, rational(1n, 2n)).threshold, 18)).to.equal(
      '0.292893218813452475',
    )
    expect(decimal(referenceThreshold(1n, 4n, rational(1n, 20n)).threshold, 15)).to.equal('0.012741455098566')
    const one = referenceThreshold(1n, 1n, rational(1n, 20n))
    expect(one.threshold).to.equal(TWO_256 / 20n + 1n) // v < ⌈2^256/20⌉ ⇔ v/2^256 < 1/20
    expect(referenceThreshold(1n, 2n, rational(1n, 2n)).exact).to.equal(false)
  })

  for (const [stake, total, f] of [
    [1n, 2n, rational(1n, 2n)], // φ = 0.29289… (linear: 0.25)
    [3n, 5n, rational(1n, 2n)], // φ = 0.34024… (linear: 0.30)
    [7n, 7n, rational(1n, 20n)], // σ = 1: φ = f = 0.05 exactly
    [1n, 4n, rational(1n, 20n)], // φ = 0.012741… (linear: 0.0125)
    [3n, 10n, rational(9n, 10n)], // φ = 0.49881… (linear: 0.27)
    [1n, 100n, rational(1n, 20n)], // φ = 0.000512… (linear: 0.0005)
  ] as const) {
    const [a, b] = [stake, total]
    it(`σ = ${stake}/${total}, f = ${f.numerator}/${f.denominator}: decides the samples nearest φ(σ), and 2000 others, exactly as 1 − (1 − f)^σ`, () => {
      const { threshold } = referenceThreshold(a, b, f)
      const at = firstAtOrAbove(threshold)
      // The 4 samples on each side nearest the exact threshold: within a few 10^-4 of it.
      const near = sorted.slice(Math.max(0, at - 4), at + 4)
      expect(near).to.have.length(8)
      expect(threshold - near[0].value < TWO_256 / 1000n, 'samples close below φ').to.equal(true)
      expect(near[7].value - threshold < TWO_256 / 1000n, 'samples close above φ').to.equal(true)
      const checked = [...near, ...sorted.filter((_, i) => i % 10 === 3)]
      for (const { out, value } of checked) {
        expect(
          isSlotLeader(out, stake, total, f),
          `leader value ${decimal(value)} vs φ = ${decimal(threshold)}`,
        ).to.equal(value < threshold)
      }
    })
  }

  it('σ = 1/2, f = 1/2: every value between the linear σ·f = 0.25 and φ = 0.2929 leads (e.g. 0.27)', () => {
    const f = rational(1n, 2n)
    const from = firstAtOrAbove(TWO_256 / 4n + 1n)
    const to = firstAtOrAbove((TWO_256 * 2928n) / 10_000n)
    expect(to - from, 'samples in (0.25, 0.2928)').to.be.greaterThan(500)
    expect(sorted.slice(from, to).some((s) => decimal(s.value, 2) === '0.27')).to.equal(true)
    for (const { out, value } of sorted.slice(from, to)) {
      expect(isSlotLeader(out, 1n, 2n, f), `leader value ${decimal(value)}`).to.equal(true)
    }
  })

  it('is independent aggregation: φ(σ1 + σ2) = 1 − (1 − φ(σ1))(1 − φ(σ2)), on the implementation alone', () => {
    for (const [s1, s2, total, f] of [
      [2n, 3n, 10n, rational(1n, 2n)], // φ(0.2), φ(0.3), φ(0.5)
      [1n, 1n, 2n, rational(1n, 20n)], // φ(0.5) twice make φ(1) = f
      [1n, 6n, 10n, rational(9n, 10n)], // φ(0.1), φ(0.6), φ(0.7)
    ] as const) {
      const [l1, u1] = bracket(s1, total, f)
      const [l2, u2] = bracket(s2, total, f)
      const [l, u] = bracket(s1 + s2, total, f)
      for (const [lo, hi] of [
        [l1, u1],
        [l2, u2],
        [l, u],
      ]) {
        expect(hi - lo < TWO_256 / 2000n, 'each bracket is narrow').to.equal(true)
      }
      // 1 − (1 − x)(1 − y) = x + y − xy, increasing in x and y: the combined bracket of the parts.
      const combine = (x: bigint, y: bigint) => x + y - (x * y) / TWO_256
      const lowest = combine(l1, l2) - 1n
      const highest = combine(u1, u2) + 1n
      expect(
        lowest < u && highest > l,
        `σ = ${s1}/${total} + ${s2}/${total}: parts give [${decimal(lowest)}, ${decimal(highest)}], the sum [${decimal(l)}, ${decimal(u)}]`,
      ).to.equal(true)
    }
  })

  it('decides real VRF outputs the same way (σ = 1/2, f = 1/2)', () => {
    const secret = new Uint8Array(32).fill(9)
    const f = rational(1n, 2n)
    const { threshold } = referenceThreshold(1n, 2n, f)
    let leads = 0
    for (let slot = 0; slot < 200; slot++) {
      const out = vrfProve(secret, Uint8Array.of(slot >> 8, slot & 255)).output
      const lead = isSlotLeader(out, 1n, 2n, f)
      expect(lead, `slot ${slot}`).to.equal(leaderValue(out) < threshold)
      if (lead) leads++
    }
    expect(leads).to.be.within(1, 199)
  })
})
