import { expect } from 'chai'
import fc from 'fast-check'
import { encodeCbor } from '../src/encoding/cbor.ts'
import { hash } from '../src/encoding/hash.ts'
import { DecodeError } from '../src/errors.ts'
import { type Block, bodyHash, bodyHashOf, decodeBlock, encodeBlock, signBlock } from '../src/ledger/block.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { type Transaction, txHash, txSigningMessage } from '../src/ledger/transaction.ts'
import type { CryptoPort } from '../src/ports.ts'
import { bftGenesis, nextBlock, type TestKey, testKeys, transfer } from './support/chain-fixtures.ts'
import { testCrypto } from './support/test-platform.ts'

const utf8 = (text: string) => new TextEncoder().encode(text)
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
/** A CBOR map written entry by entry in the order given (values already encoded): canonical only if that order is. */
const rawMap = (entries: [string, Uint8Array][]) =>
  concat([
    Uint8Array.of(0xa0 + entries.length),
    ...entries.flatMap(([k, v]) => [Uint8Array.of(0x60 + k.length), utf8(k), v]),
  ])
const rawArray = (items: Uint8Array[]) => concat([Uint8Array.of(0x80 + items.length), ...items])

/**
 * A block whose one transaction has the body bytes given, every signature and hash taken over the
 * bytes as sent: what a producer that wants one body to have two ids would send.
 */
async function blockWithBody(
  body: Uint8Array,
  sender: TestKey,
  issuer: TestKey,
  template: Block,
  crypto: CryptoPort,
): Promise<Uint8Array> {
  const signature = await crypto.sign(sender.secret, txSigningMessage(hash(body)))
  const tx = rawMap([
    ['body', body],
    ['publicKey', encodeCbor(sender.publicKey)],
    ['signature', encodeCbor(signature)],
  ])
  const txs = rawArray([tx])
  const signed = await signBlock({ ...template.header, bodyHash: hash(txs) }, [], issuer.secret, crypto)
  return rawMap([
    ['txs', txs],
    ['header', encodeCbor(signed.header)],
    ['signature', encodeCbor(signed.signature)],
  ])
}

/** A transfer body's entries in canonical DAG-CBOR order (shorter keys first, then bytewise). */
function bodyEntries(tx: Transaction, memo: Uint8Array, nonce: Uint8Array): [string, Uint8Array][] {
  const b = tx.body as Extract<Transaction['body'], { type: 'transfer' }>
  return [
    ['to', encodeCbor(b.to)],
    ['fee', encodeCbor(b.fee)],
    ['from', encodeCbor(b.from)],
    ['memo', memo],
    ['type', encodeCbor(b.type)],
    ['nonce', nonce],
    ['amount', encodeCbor(b.amount)],
    ['chainId', encodeCbor(b.chainId)],
  ]
}

describe('blocks are canonical DAG-CBOR, and ids are hashed from the bytes received', () => {
  let crypto: CryptoPort
  let keys: TestKey[]
  let tx: Transaction
  let block: Block

  before(async () => {
    crypto = await testCrypto()
    keys = await testKeys(3, crypto)
    tx = await transfer(keys[1], keys[2].address, 5n, 0, crypto, { memo: 'hi' } as never)
    block = await nextBlock(genesisState(bftGenesis(keys)), [tx], keys[0], crypto)
  })

  it('transaction ids and the body hash from the received bytes equal those of a re-encoding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
        fc.nat(),
        async (memo, amount, nonce) => {
          const one = await transfer(keys[1], keys[2].address, amount, nonce, crypto, { memo } as never)
          const sent = await nextBlock(genesisState(bftGenesis(keys)), [one], keys[0], crypto)
          const got = decodeBlock(encodeBlock(sent))
          expect(got.txs[0].hash).to.deep.equal(txHash(got.txs[0].body))
          expect(got.txs[0].hash).to.deep.equal(one.hash)
          expect(bodyHashOf(got)).to.deep.equal(bodyHash(got.txs))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('the hand-built encoding of a canonical block decodes (the cases below differ only where they say)', async () => {
    const body = rawMap(bodyEntries(tx, encodeCbor('hi'), encodeCbor(0)))
    expect(body).to.deep.equal(encodeCbor(tx.body))
    const bytes = await blockWithBody(body, keys[1], keys[0], block, crypto)
    expect(decodeBlock(bytes).txs[0].hash).to.deep.equal(tx.hash)
  })

  it('refuses, with a typed error, a transaction item that has no body', async () => {
    const bytes = await blockWithBody(
      rawMap(bodyEntries(tx, encodeCbor('hi'), encodeCbor(0))),
      keys[1],
      keys[0],
      block,
      crypto,
    )
    const renamed = bytes.slice()
    const at = renamed.findIndex((_, i) => new TextDecoder().decode(renamed.subarray(i, i + 4)) === 'body')
    renamed[at] = 'c'.charCodeAt(0)
    expect(() => decodeBlock(renamed)).to.throw(DecodeError, /body/)
  })

  const cases: Array<[string, (t: Transaction) => [string, Uint8Array][]]> = [
    ['map keys out of order', (t) => bodyEntries(t, encodeCbor('hi'), encodeCbor(0)).reverse()],
    [
      'a float where an integer belongs',
      (t) => bodyEntries(t, encodeCbor('hi'), Uint8Array.of(0xfb, 0x40, 0x14, 0, 0, 0, 0, 0, 0) /* 5.0 */),
    ],
    ['text that is not UTF-8', (t) => bodyEntries(t, Uint8Array.of(0x62, 0xc3, 0x28), encodeCbor(0))],
  ]
  for (const [what, entries] of cases)
    it(`refuses a block with ${what} in a transaction body, though every signature is over the bytes sent`, async () => {
      const bytes = await blockWithBody(rawMap(entries(tx)), keys[1], keys[0], block, crypto)
      expect(() => decodeBlock(bytes)).to.throw(DecodeError, /not canonical/)
    })
})
