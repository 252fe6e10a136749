import { expect } from 'chai'
import { fromHex } from '../src/encoding/hash.ts'
import vectors from './fixtures/rfc8032-ed25519.json' with { type: 'json' }
import { environment, testCrypto } from './support/test-platform.ts'

describe(`ed25519 through the platform crypto (${environment})`, () => {
  it('matches every RFC 8032 test vector: public key, signature, verification', async () => {
    const crypto = await testCrypto()
    for (const t of vectors.vectors) {
      const secret = fromHex(t.secret_key)!
      const message = fromHex(t.message)!
      expect(Array.from(await crypto.publicKey(secret)), t.name).to.deep.equal(
        Array.from(fromHex(t.public_key)!),
      )
      expect(Array.from(await crypto.sign(secret, message)), t.name).to.deep.equal(
        Array.from(fromHex(t.signature)!),
      )
      expect(await crypto.verify(fromHex(t.public_key)!, message, fromHex(t.signature)!), t.name).to.equal(
        true,
      )
    }
  })

  it('batch-verifies many signatures and flags exactly the bad ones', async () => {
    const crypto = await testCrypto()
    const items = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const secret = new Uint8Array(32).fill(i + 1)
        const message = new TextEncoder().encode(`message ${i}`)
        return {
          publicKey: await crypto.publicKey(secret),
          message,
          signature: await crypto.sign(secret, message),
        }
      }),
    )
    items[7] = { ...items[7], message: new TextEncoder().encode('tampered') }
    items[150] = { ...items[150], signature: new Uint8Array(64) }
    // Wrong sizes amid good items: they are false, and the items after them are read as they are.
    items[60] = { ...items[60], publicKey: items[60].publicKey.subarray(0, 31) }
    items[100] = { ...items[100], signature: Uint8Array.of(...items[100].signature, 0) }
    items[199] = { ...items[199], publicKey: new Uint8Array(31) }
    const results = await crypto.verifyBatch(items)
    expect(results.map((ok, i) => (ok ? -1 : i)).filter((i) => i >= 0)).to.deep.equal([7, 60, 100, 150, 199])
  })
})
