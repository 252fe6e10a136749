import { expect } from 'chai'
import { nobleCrypto } from '../platform/browser/crypto.ts'
import { meetsSignatureRule } from '../src/crypto/signature-rule.ts'
import { fromHex } from '../src/encoding/hash.ts'
import { verifySignature, verifySignatures } from '../src/ledger/verify-signatures.ts'
import type { CryptoPort, SignedItem } from '../src/ports.ts'
import fixture from './fixtures/ed25519-speccheck.json' with { type: 'json' }
import rfc8032 from './fixtures/rfc8032-ed25519.json' with { type: 'json' }
import { environment, testCrypto } from './support/test-platform.ts'

function item(c: { message: string; pub_key: string; signature: string }): SignedItem {
  return { publicKey: fromHex(c.pub_key)!, message: fromHex(c.message)!, signature: fromHex(c.signature)! }
}

/** Little-endian 32 bytes of n. */
function le32(n: bigint): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn))
}

const P = 2n ** 255n - 19n
const L = 2n ** 252n + 27742317777372353535851937790883648493n

// Verdict per speccheck case under the rule (libsodium's row in the speccheck README):
//  0  refused: A and R small order (S = 0)
//  1  refused: A small order
//  2  refused: R small order
//  3  ACCEPTED: A and R mixed order, S < L, and [S]B = R + [k]A holds (cofactorless)
//  4  refused: passes the byte rule but only the cofactored equation holds, not [S]B = R + [k]A
//  5  refused: passes the byte rule but only the cofactored equation holds (R of order L, A mixed)
//  6  refused: S > L
//  7  refused: S >> L
//  8  refused: R = (0, -1) of order 2, encoded with the x sign bit set (y = p - 1 masked)
//  9  refused: as 8, hashed without reduction
//  10 refused: A = (0, -1) of order 2, encoded with the x sign bit set
//  11 refused: as 10, hashed without reduction
const SPECCHECK_VERDICT = [false, false, false, true, false, false, false, false, false, false, false, false]
// Which cases pass the byte-level rule alone (4 and 5 are left to the equation).
const SPECCHECK_MEETS_RULE = [false, false, false, true, true, true, false, false, false, false, false, false]
// The noble fallback on its own (no byte rule): strict decoding refuses 8..11 (x = 0 with the sign bit set),
// S >= L refuses 6 and 7, the cofactorless equation refuses 4 and 5; small-order 0..2 still verify.
const SPECCHECK_NOBLE_RAW = [true, true, true, true, false, false, false, false, false, false, false, false]

// Every own case is refused except the genuine RFC 8032 signature.
const OWN_VERDICT: Record<string, boolean> = {
  'small-order A (identity), R identity, S = 0': false,
  'small-order A (identity), R identity, S = 0, another message': false,
  'non-canonical A (y = p + 1, identity alias), R identity, S = 0': false,
  'small-order R (identity), full-order A, S = k·a': false,
  'non-canonical R (y = p + 1), full-order A, S = k·a': false,
  'RFC 8032 TEST 1 with S + L': false,
  'RFC 8032 TEST 1 with S = L': false,
  'RFC 8032 TEST 1 with S = L + 1': false,
  'RFC 8032 TEST 1 with S = L - 1': false,
  'RFC 8032 TEST 1': true,
}

const platforms: [string, () => Promise<CryptoPort>][] = [
  [`platform crypto (${environment})`, testCrypto],
  ['@noble/curves fallback', async () => nobleCrypto],
]

describe(`strict Ed25519 signature rule (${environment})`, () => {
  describe('meetsSignatureRule (bytes only)', () => {
    const valid = item({
      message: rfc8032.vectors[0].message,
      pub_key: rfc8032.vectors[0].public_key,
      signature: rfc8032.vectors[0].signature,
    })
    const withS = (s: bigint) => Uint8Array.from([...valid.signature.subarray(0, 32), ...le32(s)])
    const withR = (r: Uint8Array) => Uint8Array.from([...r, ...valid.signature.subarray(32)])
    const signBit = (y: Uint8Array) => Uint8Array.from(y, (b, i) => (i === 31 ? b | 0x80 : b))
    // libsodium's blocklist of small-order y values (little-endian, sign bit clear).
    const smallOrder = [
      le32(0n),
      le32(1n),
      le32(P - 1n),
      fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05')!,
      fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a')!,
    ]
    const nonCanonical = [le32(P), le32(P + 1n), le32(P + 18n), le32(2n ** 255n - 1n)]

    it('accepts a genuine RFC 8032 signature', () => {
      for (const v of rfc8032.vectors) {
        const t = item({ message: v.message, pub_key: v.public_key, signature: v.signature })
        expect(meetsSignatureRule(t.publicKey, t.signature), v.name).to.equal(true)
      }
    })

    it('refuses wrong lengths', () => {
      expect(meetsSignatureRule(valid.publicKey.subarray(0, 31), valid.signature)).to.equal(false)
      expect(meetsSignatureRule(valid.publicKey, valid.signature.subarray(0, 63))).to.equal(false)
      expect(meetsSignatureRule(valid.publicKey, Uint8Array.from([...valid.signature, 0]))).to.equal(false)
    })

    it('refuses S >= L and keeps S = L - 1 (the boundary is exactly L)', () => {
      expect(meetsSignatureRule(valid.publicKey, withS(L - 1n))).to.equal(true)
      for (const s of [L, L + 1n, 2n * L, 2n ** 253n, 2n ** 256n - 1n]) {
        expect(meetsSignatureRule(valid.publicKey, withS(s)), `S = ${s}`).to.equal(false)
      }
    })

    it('refuses non-canonical A and R (y >= p), with either sign bit, and keeps y = p - 2', () => {
      for (const y of nonCanonical) {
        for (const enc of [y, signBit(y)]) {
          expect(meetsSignatureRule(enc, valid.signature), 'A').to.equal(false)
          expect(meetsSignatureRule(valid.publicKey, withR(enc)), 'R').to.equal(false)
        }
      }
      expect(meetsSignatureRule(le32(P - 2n), withR(le32(P - 2n)))).to.equal(true)
    })

    it('refuses small-order A and R, with either sign bit', () => {
      for (const y of smallOrder) {
        for (const enc of [y, signBit(y)]) {
          expect(meetsSignatureRule(enc, valid.signature), 'A').to.equal(false)
          expect(meetsSignatureRule(valid.publicKey, withR(enc)), 'R').to.equal(false)
        }
      }
    })

    it('gives the libsodium verdict on every speccheck case', () => {
      const got = fixture.speccheck.map((c) => meetsSignatureRule(item(c).publicKey, item(c).signature))
      expect(got).to.deep.equal(SPECCHECK_MEETS_RULE)
    })
  })

  it('the @noble/curves fallback alone uses the strict cofactorless equation', async () => {
    const got = await Promise.all(fixture.speccheck.map((c) => nobleCrypto.verify(...args(item(c)))))
    expect(got).to.deep.equal(SPECCHECK_NOBLE_RAW)
  })

  for (const [name, getCrypto] of platforms) {
    describe(`through the core path, ${name}`, () => {
      it('gives the same verdict on every speccheck case, one by one and in a batch', async () => {
        const crypto = await getCrypto()
        const items = fixture.speccheck.map(item)
        const one = await Promise.all(items.map((i) => verifySignature(crypto, i)))
        expect(one).to.deep.equal(SPECCHECK_VERDICT)
        expect(await verifySignatures(crypto, items)).to.deep.equal(SPECCHECK_VERDICT)
      })

      it('refuses small-order and non-canonical keys and R, S >= L; accepts RFC 8032', async () => {
        const crypto = await getCrypto()
        for (const c of fixture.own) {
          expect(await verifySignature(crypto, item(c)), c.name).to.equal(OWN_VERDICT[c.name])
        }
        expect(await verifySignatures(crypto, fixture.own.map(item))).to.deep.equal(
          fixture.own.map((c) => OWN_VERDICT[c.name]),
        )
        for (const v of rfc8032.vectors) {
          const t = item({ message: v.message, pub_key: v.public_key, signature: v.signature })
          expect(await verifySignature(crypto, t), v.name).to.equal(true)
        }
      })

      it('refuses a small-order key with S = 0 whatever the message', async () => {
        const crypto = await getCrypto()
        const identity = le32(1n)
        const signature = Uint8Array.from([...identity, ...le32(0n)])
        for (const text of ['', 'pay 1000 to mallory', 'anything at all']) {
          const message = new TextEncoder().encode(text)
          expect(await verifySignature(crypto, { publicKey: identity, message, signature }), text).to.equal(
            false,
          )
        }
      })
    })
  }
})

function args(i: SignedItem): [Uint8Array, Uint8Array, Uint8Array] {
  return [i.publicKey, i.message, i.signature]
}
