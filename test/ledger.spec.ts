import { expect } from 'chai'
import { decodeCbor, encodeCbor } from '../src/encoding/cbor.ts'
import { fromHex, toHex } from '../src/encoding/hash.ts'
import { addressOf, isAddress, isOwnedBy } from '../src/ledger/address.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import {
  type Block,
  type BlockHeader,
  decodeBlock,
  encodeBlock,
  encodeHeader,
  headerHash,
} from '../src/ledger/block.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { accountOf, type LedgerState } from '../src/ledger/ledger-state.ts'
import {
  decodeTransaction,
  encodeTransaction,
  encodeTxBody,
  MAX_MEMO_BYTES,
  type TxBody,
  txHash,
} from '../src/ledger/transaction.ts'
import { verifyBlockSignatures } from '../src/ledger/verify-signatures.ts'
import type { CryptoPort } from '../src/ports.ts'
import vectors from './fixtures/encoding-vectors.json' with { type: 'json' }
import {
  bftGenesis,
  errorCode,
  nextBlock,
  type TestKey,
  testKeys,
  transfer,
} from './support/chain-fixtures.ts'
import { testCrypto } from './support/test-platform.ts'

describe('ledger: transactions, blocks, applyBlock', () => {
  let crypto: CryptoPort
  let keys: TestKey[]
  let genesis: ReturnType<typeof bftGenesis>
  let state0: LedgerState

  before(async () => {
    crypto = await testCrypto()
    keys = await testKeys(4, crypto)
    genesis = bftGenesis(keys)
    state0 = genesisState(genesis)
  })

  it('derives checksummed addresses and rejects a mistyped one', () => {
    const address = keys[0].address
    expect(address).to.match(/^pp[0-9a-f]{48}$/)
    expect(isAddress(address)).to.equal(true)
    const typo = address.slice(0, 10) + (address[10] === 'a' ? 'b' : 'a') + address.slice(11)
    expect(isAddress(typo)).to.equal(false)
  })

  it("binds an address to its own key only, also after the owner's key was seen", () => {
    // Checked senders are remembered: the memo must hold the owner's key, not a "yes".
    expect(isOwnedBy(keys[0].address, keys[0].publicKey)).to.equal(true)
    expect(isOwnedBy(keys[0].address, keys[1].publicKey)).to.equal(false)
    expect(isOwnedBy(keys[0].address, keys[0].publicKey.slice())).to.equal(true)
    expect(isAddress(keys[1].address)).to.equal(true)
    expect(isAddress(`${keys[1].address.slice(0, 49)}${keys[1].address[49] === '0' ? '1' : '0'}`)).to.equal(
      false,
    )
    expect(isAddress(keys[1].address.toUpperCase())).to.equal(false)
  })

  it('round-trips transactions and blocks through their encoding', async () => {
    const tx = await transfer(keys[0], keys[1].address, 5n, 0, crypto, { memo: 'hello' } as never)
    const back = decodeTransaction(encodeTransaction(tx))
    expect(back.body).to.deep.equal(tx.body)
    expect(back.hash).to.deep.equal(tx.hash)
    const block = await nextBlock(state0, [tx], keys[0], crypto)
    const decoded = decodeBlock(encodeBlock(block))
    expect(decoded.hash).to.deep.equal(block.hash)
    expect(decoded.size).to.equal(block.size)
    expect(decoded.txs[0].body).to.deep.equal(tx.body)
  })

  it('applies a valid chain: balances, nonces and fees to the producer', async () => {
    let state = state0
    for (let i = 0; i < 5; i++) {
      const tx = await transfer(keys[1], keys[2].address, 100n, i, crypto)
      const block = await nextBlock(state, [tx], keys[0], crypto)
      await verifyBlockSignatures(block, crypto)
      state = applyBlock(state, block, genesis)
    }
    expect(state.tip.index).to.equal(5)
    expect(accountOf(state, keys[1].address)).to.deep.equal({ balance: 1000000n - 505n, nonce: 5 })
    expect(accountOf(state, keys[2].address).balance).to.equal(1000500n)
    expect(accountOf(state, keys[0].address).balance).to.equal(1000005n)
    expect(accountOf(state0, keys[1].address).balance, 'input state untouched').to.equal(1000000n)
  })

  it('rejects each broken transaction rule with its code', async () => {
    const stranger = (await testKeys(1, crypto, 'stranger'))[0]
    const cases: Array<[string, Promise<Block>]> = [
      [
        'UNKNOWN_SENDER',
        transfer(stranger, keys[1].address, 1n, 0, crypto).then((t) =>
          nextBlock(state0, [t], keys[0], crypto),
        ),
      ],
      [
        'INSUFFICIENT_BALANCE',
        transfer(keys[1], keys[2].address, 1000000n, 0, crypto).then((t) =>
          nextBlock(state0, [t], keys[0], crypto),
        ),
      ],
      [
        'BAD_NONCE',
        transfer(keys[1], keys[2].address, 1n, 1, crypto).then((t) =>
          nextBlock(state0, [t], keys[0], crypto),
        ),
      ],
      [
        'BAD_AMOUNT',
        transfer(keys[1], keys[2].address, 0n, 0, crypto).then((t) =>
          nextBlock(state0, [t], keys[0], crypto),
        ),
      ],
      [
        'BAD_AMOUNT',
        transfer(keys[1], keys[2].address, -5n, 0, crypto).then((t) =>
          nextBlock(state0, [t], keys[0], crypto),
        ),
      ],
      [
        'MEMO_TOO_LARGE',
        transfer(keys[1], keys[2].address, 1n, 0, crypto, {
          memo: 'x'.repeat(MAX_MEMO_BYTES + 1),
        } as never).then((t) => nextBlock(state0, [t], keys[0], crypto)),
      ],
      [
        'WRONG_CHAIN',
        transfer(keys[1], keys[2].address, 1n, 0, crypto, { chainId: 'other' }).then((t) =>
          nextBlock(state0, [t], keys[0], crypto),
        ),
      ],
    ]
    for (const [code, block] of cases) {
      const b = await block
      expect(await errorCode(() => applyBlock(state0, b, genesis)), code).to.equal(code)
    }
  })

  it('rejects a replayed transaction in a later block', async () => {
    const tx = await transfer(keys[1], keys[2].address, 1n, 0, crypto)
    const state1 = applyBlock(state0, await nextBlock(state0, [tx], keys[0], crypto), genesis)
    const replay = await nextBlock(state1, [tx], keys[0], crypto)
    expect(await errorCode(() => applyBlock(state1, replay, genesis))).to.equal('BAD_NONCE')
  })

  it('rejects bad signatures on transactions and on the header', async () => {
    const tx = await transfer(keys[1], keys[2].address, 1n, 0, crypto)
    const forged = { ...tx, signature: (await transfer(keys[1], keys[2].address, 2n, 0, crypto)).signature }
    const block = await nextBlock(state0, [forged], keys[0], crypto)
    expect(await errorCode(() => verifyBlockSignatures(block, crypto))).to.equal('BAD_SIGNATURE')
    const good = await nextBlock(state0, [tx], keys[0], crypto)
    const resigned = { ...good, signature: (await nextBlock(state0, [], keys[0], crypto)).signature }
    expect(await errorCode(() => verifyBlockSignatures(resigned, crypto))).to.equal('BAD_SIGNATURE')
    const stolen = { ...tx, publicKey: keys[3].publicKey }
    expect(await errorCode(() => applyBlock(state0, { ...good, txs: [stolen] }, genesis))).to.equal(
      'BODY_HASH_MISMATCH',
    )
  })

  it('rejects body hash mismatch, oversized blocks, too many and duplicate transactions', async () => {
    const t0 = await transfer(keys[1], keys[2].address, 1n, 0, crypto)
    const t1 = await transfer(keys[1], keys[2].address, 1n, 1, crypto)
    const block = await nextBlock(state0, [t0], keys[0], crypto)
    expect(await errorCode(() => applyBlock(state0, { ...block, txs: [t1] }, genesis))).to.equal(
      'BODY_HASH_MISMATCH',
    )
    expect(
      await errorCode(() => applyBlock(state0, { ...block, size: genesis.maxBlockBytes + 1 }, genesis)),
    ).to.equal('BLOCK_TOO_LARGE')
    const small = bftGenesis(keys, { maxTxPerBlock: 1 })
    const two = await nextBlock(genesisState(small), [t0, t1], keys[0], crypto)
    expect(await errorCode(() => applyBlock(genesisState(small), two, small))).to.equal('TOO_MANY_TXS')
    const dup = await nextBlock(state0, [t0, t0], keys[0], crypto)
    expect(await errorCode(() => applyBlock(state0, dup, genesis))).to.equal('DUPLICATE_TX')
  })

  it('rejects blocks that do not extend the tip or do not advance the slot', async () => {
    const b1 = await nextBlock(state0, [], keys[0], crypto, 3)
    const state1 = applyBlock(state0, b1, genesis)
    expect(
      await errorCode(async () => applyBlock(state1, await nextBlock(state0, [], keys[0], crypto), genesis)),
    ).to.equal('BAD_PARENT')
    expect(
      await errorCode(async () =>
        applyBlock(state1, await nextBlock(state1, [], keys[0], crypto, 3), genesis),
      ),
    ).to.equal('SLOT_NOT_INCREASING')
  })

  it('refuses malformed and oversized encodings with DECODE_FAILED', async () => {
    const tx = await transfer(keys[1], keys[2].address, 1n, 0, crypto)
    const wire = decodeCbor(encodeTransaction(tx), 4096, 'tx') as Record<string, unknown>
    expect(await errorCode(() => decodeTransaction(encodeCbor({ ...wire, extra: 1 })))).to.equal(
      'DECODE_FAILED',
    )
    expect(await errorCode(() => decodeTransaction(new Uint8Array(5000)))).to.equal('DECODE_FAILED')
    expect(await errorCode(() => decodeTransaction(Uint8Array.from([0xa1, 0x61])))).to.equal('DECODE_FAILED')
    expect(
      await errorCode(() => decodeBlock(encodeCbor({ header: {}, signature: new Uint8Array(64), txs: [] }))),
    ).to.equal('DECODE_FAILED')
  })

  it('state after N blocks equals a replay from genesis of the same blocks', async () => {
    let state = state0
    const blocks: Block[] = []
    for (let i = 0; i < 20; i++) {
      const txs = [
        await transfer(keys[1 + (i % 3)], keys[i % 4].address, BigInt(i + 1), Math.floor(i / 3), crypto),
      ]
      const block = await nextBlock(state, txs, keys[0], crypto, state.tip.slot + 1 + (i % 7))
      blocks.push(block)
      state = applyBlock(state, block, genesis)
    }
    const replayed = blocks
      .map((b) => decodeBlock(encodeBlock(b)))
      .reduce((s, b) => applyBlock(s, b, genesis), state0)
    expect(replayed).to.deep.equal(state)
    expect(addressOf(keys[0].publicKey)).to.equal(keys[0].address)
  })

  it('encodes headers and transaction bodies to the published bytes and hashes (fixed vectors)', () => {
    const toBytes = (fields: Record<string, unknown>, big: string[] = []) =>
      Object.fromEntries(
        Object.entries(fields).map(([k, v]) => [
          k,
          big.includes(k)
            ? BigInt(v as string)
            : typeof v === 'string' && /^([0-9a-f]{2})+$/.test(v) && v.length >= 64
              ? fromHex(v)
              : v,
        ]),
      )
    const header = toBytes(vectors.header.fields) as unknown as BlockHeader
    expect(toHex(encodeHeader(header))).to.equal(vectors.header.bytes)
    expect(toHex(headerHash(header))).to.equal(vectors.header.hash)
    const body = toBytes(vectors.transferBody.fields, ['amount', 'fee']) as unknown as TxBody
    expect(toHex(encodeTxBody(body))).to.equal(vectors.transferBody.bytes)
    expect(toHex(txHash(body))).to.equal(vectors.transferBody.hash)
  })
})
