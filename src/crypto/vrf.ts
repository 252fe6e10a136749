import { ed25519, ed25519_hasher } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { concatBytes } from '@noble/hashes/utils.js'

/**
 * ECVRF-EDWARDS25519-SHA512-ELL2 (RFC 9381, suite 0x04) on @noble primitives. Keys are ed25519
 * keys; a proof is Gamma (32) ‖ c (16) ‖ s (32); the output beta is 64 bytes.
 */

const Point = ed25519.Point
const q = Point.Fn.ORDER
const SUITE = 0x04
const DST = new TextEncoder().encode('ECVRF_edwards25519_XMD:SHA-512_ELL2_NU_\x04')
const C_LEN = 16

type EdPoint = InstanceType<typeof Point>

function leToInt(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i])
  return n
}

function intToLe(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++, n >>= 8n) out[i] = Number(n & 0xffn)
  return out
}

/** RFC 9381 §5.4.1.2: encode_to_curve with the public key as salt. */
function hashToPoint(publicKey: Uint8Array, alpha: Uint8Array): EdPoint {
  return ed25519_hasher.encodeToCurve(concatBytes(publicKey, alpha), { DST }) as unknown as EdPoint
}

/** RFC 9381 §5.4.3: the 16-byte challenge over the five points. */
function challenge(...points: EdPoint[]): bigint {
  const digest = sha512(
    concatBytes(Uint8Array.of(SUITE, 0x02), ...points.map((p) => p.toBytes()), Uint8Array.of(0x00)),
  )
  return leToInt(digest.subarray(0, C_LEN))
}

/** RFC 9381 §5.2: beta = SHA-512(suite ‖ 0x03 ‖ cofactor·Gamma ‖ 0x00). */
function gammaToOutput(gamma: EdPoint): Uint8Array {
  return sha512(concatBytes(Uint8Array.of(SUITE, 0x03), gamma.clearCofactor().toBytes(), Uint8Array.of(0x00)))
}

/** The VRF public key of a 32-byte secret seed (the same as its ed25519 public key). */
export function vrfPublicKey(secret: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secret)
}

/** Proves the VRF on `alpha` with a 32-byte secret seed: the 80-byte proof and the 64-byte output. */
export function vrfProve(secret: Uint8Array, alpha: Uint8Array): { proof: Uint8Array; output: Uint8Array } {
  const { prefix, scalar: x, pointBytes: publicKey } = ed25519.utils.getExtendedPublicKey(secret)
  const Y = Point.fromBytes(publicKey)
  const H = hashToPoint(publicKey, alpha)
  const gamma = H.multiply(x)
  const k = leToInt(sha512(concatBytes(prefix, H.toBytes()))) % q
  const c = challenge(Y, H, gamma, Point.BASE.multiply(k), H.multiply(k))
  const s = (k + c * x) % q
  return {
    proof: concatBytes(gamma.toBytes(), intToLe(c, C_LEN), intToLe(s, 32)),
    output: gammaToOutput(gamma),
  }
}

/** True when `publicKey` can serve as a VRF key: a canonical point that is not of small order (RFC 9381 §5.4.5). */
export function isValidVrfKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return false
  try {
    return !Point.fromBytes(publicKey).isSmallOrder()
  } catch {
    return false
  }
}

/** Verifies a proof; the 64-byte output when valid, null for anything invalid or malformed (never throws). */
export function vrfVerify(publicKey: Uint8Array, alpha: Uint8Array, proof: Uint8Array): Uint8Array | null {
  if (publicKey.length !== 32 || proof.length !== 80) return null
  try {
    const Y = Point.fromBytes(publicKey)
    if (Y.isSmallOrder()) return null
    const gamma = Point.fromBytes(proof.subarray(0, 32))
    const c = leToInt(proof.subarray(32, 48))
    const s = leToInt(proof.subarray(48, 80))
    if (s >= q) return null
    const H = hashToPoint(publicKey, alpha)
    const U = Point.BASE.multiplyUnsafe(s).subtract(Y.multiplyUnsafe(c))
    const V = H.multiplyUnsafe(s).subtract(gamma.multiplyUnsafe(c))
    return challenge(Y, H, gamma, U, V) === c ? gammaToOutput(gamma) : null
  } catch {
    return null
  }
}
