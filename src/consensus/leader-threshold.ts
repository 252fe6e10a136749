import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes } from '@noble/hashes/utils.js'
import type { Rational } from '../genesis.ts'

/**
 * Praos leader eligibility, decided with bigint fixed-point arithmetic only (34 decimal digits, as
 * Cardano does): identical on every engine, no floating point anywhere.
 *
 * A pool with relative stake σ leads a slot when its leader value p ∈ [0, 1) is below
 * φ(σ) = 1 − (1 − f)^σ. Equivalently 1/(1 − p) < exp(σ·c) with c = −ln(1 − f). Partial Taylor sums
 * of exp are lower bounds; adding the Lagrange remainder (next term × e^c, and e^c = 1/(1 − f))
 * gives upper bounds. Terms are added until the comparison is decided by both bounds.
 */

const ONE = 10n ** 34n
const MAX_TERMS = 1000
const LEADER_DOMAIN = new TextEncoder().encode('pp/leader')
const TWO_256 = 1n << 256n

/** The leader value of a VRF output: SHA-256("pp/leader" ‖ output) read as a 256-bit number p·2^256. */
export function leaderValue(vrfOutput: Uint8Array): bigint {
  let n = 0n
  for (const byte of sha256(concatBytes(LEADER_DOMAIN, vrfOutput))) n = (n << 8n) | BigInt(byte)
  return n
}

const lnCache = new Map<string, bigint>()

/** c = −ln(1 − f) in fixed point, via ln(y) = 2·atanh((y − 1)/(y + 1)), a fast alternating-free series. */
function minusLnOneMinus(f: Rational): bigint {
  const key = `${f.numerator}/${f.denominator}`
  const cached = lnCache.get(key)
  if (cached !== undefined) return cached
  // For y = 1 − f: |z| = (1 − y)/(1 + y) = num / (2·den − num).
  const z = (ONE * f.numerator) / (2n * f.denominator - f.numerator)
  const z2 = (z * z) / ONE
  let sum = 0n
  let power = z
  for (let k = 1n; power > 0n; k += 2n) {
    sum += power / k
    power = (power * z2) / ONE
  }
  lnCache.set(key, 2n * sum)
  return 2n * sum
}

/** Decides `cmp < exp(x)` for fixed-point cmp and x, given an integer upper bound of exp(x). */
function belowExp(cmp: bigint, x: bigint, expBound: bigint): boolean {
  let acc = ONE
  let term = ONE
  for (let n = 1n; n <= MAX_TERMS; n++) {
    if (cmp < acc) return true
    const next = (term * x) / (ONE * n)
    if (cmp >= acc + next * expBound + 1n) return false
    acc += next
    term = next
  }
  return false // undecidable within 10^-34: deterministically not a leader
}

/** Whether a pool with `stake` of `totalStake` leads a slot, given its VRF output and f. */
export function isSlotLeader(vrfOutput: Uint8Array, stake: bigint, totalStake: bigint, f: Rational): boolean {
  if (stake <= 0n || totalStake <= 0n) return false
  const value = leaderValue(vrfOutput)
  if (f.numerator >= f.denominator) return true // f = 1: every slot has a leader, whoever holds stake
  // cmp = 1/(1 − p) with p = value / 2^256.
  const cmp = (ONE * TWO_256) / (TWO_256 - value)
  const x = (minusLnOneMinus(f) * stake) / totalStake
  // exp(σ·c) ≤ exp(c) = 1/(1 − f) ≤ ceil(den / (den − num)).
  const expBound = (f.denominator + (f.denominator - f.numerator) - 1n) / (f.denominator - f.numerator)
  return belowExp(cmp, x, expBound)
}
