// One Ed25519 acceptance rule for every platform. node:crypto (OpenSSL), WebCrypto (BoringSSL, NSS) and
// @noble/curves disagree on edge-case signatures ("Taming the many EdDSAs", ed25519-speccheck), and a
// consensus node must not accept a block on one platform and reject it on another. The rule is libsodium's
// strict RFC 8032 check: everything that depends only on the bytes is checked here, before the platform's
// verifier runs the (cofactorless) equation [S]B = R + [k]A. Only byte comparisons: no point decoding, so it
// costs a few dozen comparisons per signature.

// The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const L = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
])

// Encodings (y, little-endian, sign bit cleared) of the points of order 1, 2, 4 and 8, as libsodium's
// ge25519_has_small_order lists them. Such a key or R makes [k]A or R vanish up to torsion, so a
// signature with S = 0 verifies "for any message" on verifiers that accept them. Non-canonical aliases
// (y = p, p + 1) are not listed: pointIsCanonical already refuses every y >= p.
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  // y = 0: the two points of order 4 (x = ±sqrt(-1)).
  new Uint8Array(32),
  // y = 1: the identity (order 1).
  Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)),
  // y = p - 1: the point (0, -1) of order 2.
  Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xec : i === 31 ? 0x7f : 0xff)),
  // The two y values of the four points of order 8.
  hexBytes('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
  hexBytes('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
]

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from({ length: hex.length / 2 }, (_, i) =>
    Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16),
  )
}

/** True when the 32-byte little-endian scalar at `offset` is < L (RFC 8032 5.1.7: reject S >= L, no malleability). */
function scalarIsCanonical(bytes: Uint8Array, offset: number): boolean {
  for (let i = 31; i >= 0; i--) {
    const b = bytes[offset + i]
    if (b !== L[i]) return b < L[i]
  }
  return false // S == L
}

/** True when the point encoding at `offset` has y < p = 2^255 - 19 (sign bit ignored), so it has one encoding only. */
function pointIsCanonical(bytes: Uint8Array, offset: number): boolean {
  // p little-endian is ed ff ff ... ff 7f: y >= p only when the top 31 bytes (masked) are all at their maximum.
  if ((bytes[offset + 31] & 0x7f) !== 0x7f) return true
  for (let i = 30; i >= 1; i--) if (bytes[offset + i] !== 0xff) return true
  return bytes[offset] < 0xed
}

/** True when the point encoding at `offset` is one of the small-order points (compared with the sign bit masked). */
function pointHasSmallOrder(bytes: Uint8Array, offset: number): boolean {
  for (const y of SMALL_ORDER_Y) {
    let same = (bytes[offset + 31] & 0x7f) === y[31]
    for (let i = 0; same && i < 31; i++) same = bytes[offset + i] === y[i]
    if (same) return true
  }
  return false
}

/** The byte-level half of the strict Ed25519 rule: 32/64-byte lengths, S < L, A and R canonical and not small order. */
export function meetsSignatureRule(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return (
    publicKey.length === 32 &&
    signature.length === 64 &&
    scalarIsCanonical(signature, 32) &&
    pointIsCanonical(publicKey, 0) &&
    pointIsCanonical(signature, 0) &&
    !pointHasSmallOrder(publicKey, 0) &&
    !pointHasSmallOrder(signature, 0)
  )
}
