import { expect } from 'chai'
import { vrfProve, vrfPublicKey, vrfVerify } from '../src/crypto/vrf.ts'
import { fromHex, toHex } from '../src/encoding/hash.ts'
import vectors from './fixtures/rfc9381-ecvrf-edwards25519-sha512-ell2.json' with { type: 'json' }

describe('ECVRF-EDWARDS25519-SHA512-ELL2 (RFC 9381)', () => {
  for (const t of vectors.vectors) {
    it(`matches ${t.example}: public key, proof, output, verification`, () => {
      const sk = fromHex(t.sk)!
      const alpha = fromHex(t.alpha)!
      expect(toHex(vrfPublicKey(sk))).to.equal(t.pk)
      const { proof, output } = vrfProve(sk, alpha)
      expect(toHex(proof)).to.equal(t.pi)
      expect(toHex(output)).to.equal(t.beta)
      expect(toHex(vrfVerify(fromHex(t.pk)!, alpha, fromHex(t.pi)!)!)).to.equal(t.beta)
    })
  }

  it('rejects tampered proofs, other inputs, other keys and malformed bytes, returning null', () => {
    const t = vectors.vectors[1]
    const pk = fromHex(t.pk)!
    const alpha = fromHex(t.alpha)!
    const pi = fromHex(t.pi)!
    for (let i = 0; i < pi.length; i += 7) {
      const bad = pi.slice()
      bad[i] ^= 0x01
      expect(vrfVerify(pk, alpha, bad), `byte ${i} flipped`).to.equal(null)
    }
    expect(vrfVerify(pk, Uint8Array.of(1, 2, 3), pi)).to.equal(null)
    expect(vrfVerify(fromHex(vectors.vectors[0].pk)!, alpha, pi)).to.equal(null)
    expect(vrfVerify(pk, alpha, pi.subarray(0, 79))).to.equal(null)
    expect(vrfVerify(new Uint8Array(32), alpha, pi), 'small-order key').to.equal(null)
    expect(vrfVerify(new Uint8Array(32).fill(0xff), alpha, pi), 'not a point').to.equal(null)
    const highS = pi.slice()
    highS.fill(0xff, 48)
    expect(vrfVerify(pk, alpha, highS), 's ≥ q').to.equal(null)
  })
})
