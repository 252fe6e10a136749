import { expect } from 'chai'
import type { Address } from '../src/ledger/address.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { encodeTransaction } from '../src/ledger/transaction.ts'
import { Mempool } from '../src/mempool.ts'
import type { CryptoPort } from '../src/ports.ts'
import {
  bftGenesis,
  errorCode,
  nextBlock,
  type TestKey,
  testKeys,
  transfer,
} from './support/chain-fixtures.ts'
import { testCrypto } from './support/test-platform.ts'

describe('mempool', () => {
  let crypto: CryptoPort
  let keys: TestKey[]
  let genesis: ReturnType<typeof bftGenesis>

  before(async () => {
    crypto = await testCrypto()
    keys = await testKeys(3, crypto)
    genesis = bftGenesis(keys)
  })

  it('admits consecutive nonces per sender and selects them in order', async () => {
    const pool = new Mempool(genesis, genesisState(genesis))
    for (let n = 0; n < 3; n++) pool.add(await transfer(keys[1], keys[2].address, 10n, n, crypto))
    pool.add(await transfer(keys[2], keys[1].address, 10n, 0, crypto))
    expect(
      pool.select(10, 1 << 20).map((t) => `${t.body.from === keys[1].address ? 'a' : 'b'}${t.body.nonce}`),
    ).to.deep.equal(['a0', 'a1', 'a2', 'b0'])
    expect(pool.select(2, 1 << 20)).to.have.length(2)
  })

  it('refuses duplicates, nonce gaps, replays and overspending, saying why', async () => {
    const pool = new Mempool(genesis, genesisState(genesis))
    const t0 = await transfer(keys[1], keys[2].address, 10n, 0, crypto)
    pool.add(t0)
    expect(await errorCode(() => pool.add(t0))).to.equal('DUPLICATE_TX')
    expect(
      await errorCode(async () => pool.add(await transfer(keys[1], keys[2].address, 10n, 5, crypto))),
    ).to.equal('BAD_NONCE')
    expect(
      await errorCode(async () => pool.add(await transfer(keys[1], keys[2].address, 999_999n, 1, crypto))),
    ).to.equal('INSUFFICIENT_BALANCE')
    expect(pool.size).to.equal(1)
  })

  it('is bounded by bytes', async () => {
    const first = await transfer(keys[1], keys[2].address, 1n, 0, crypto)
    const size = encodeTransaction(first).length
    const pool = new Mempool(genesis, genesisState(genesis), size * 2 + 10)
    pool.add(first)
    pool.add(await transfer(keys[1], keys[2].address, 1n, 1, crypto))
    expect(
      await errorCode(async () => pool.add(await transfer(keys[1], keys[2].address, 1n, 2, crypto))),
    ).to.equal('MEMPOOL_FULL')
  })

  it('drops included transactions after a new block and takes back those of rolled-back blocks', async () => {
    const s0 = genesisState(genesis)
    const pool = new Mempool(genesis, s0)
    const t0 = await transfer(keys[1], keys[2].address, 10n, 0, crypto)
    const t1 = await transfer(keys[1], keys[2].address, 10n, 1, crypto)
    pool.add(t0)
    pool.add(t1)
    const s1 = applyBlock(s0, await nextBlock(s0, [t0], keys[0], crypto), genesis)
    pool.revalidate(s1)
    expect(pool.select(10, 1 << 20).map((t) => t.body.nonce)).to.deep.equal([1])
    // The block with t0 is rolled back: t0 comes back first, t1 stays valid after it.
    pool.revalidate(s0, [t0])
    expect(pool.select(10, 1 << 20).map((t) => t.body.nonce)).to.deep.equal([0, 1])
  })

  it('when full, a transaction paying more per byte displaces the cheapest last-pending ones; cheaper ones are refused', async () => {
    const cheap = await transfer(keys[1], keys[1].address, 1n, 0, crypto, { fee: 0n })
    const size = encodeTransaction(cheap).length
    const pool = new Mempool(genesis, genesisState(genesis), size * 3 + 10)
    pool.add(cheap)
    pool.add(await transfer(keys[1], keys[1].address, 1n, 1, crypto, { fee: 0n }))
    pool.add(await transfer(keys[2], keys[2].address, 1n, 0, crypto, { fee: 5n }))
    // Not more per byte than the cheapest pending: refused.
    expect(
      await errorCode(async () =>
        pool.add(await transfer(keys[0], keys[2].address, 1n, 0, crypto, { fee: 0n })),
      ),
    ).to.equal('MEMPOOL_FULL')
    // keys[1]'s nonce 1 goes (its last pending one), its nonce 0 stays, so its nonces stay in order.
    pool.add(await transfer(keys[0], keys[2].address, 1n, 0, crypto, { fee: 1000n }))
    expect(pool.size).to.equal(3)
    expect(pool.select(10, 1 << 20).map((t) => `${t.body.fee}:${t.body.nonce}`)).to.deep.equal([
      '0:0',
      '5:0',
      '1000:0',
    ])
    expect(pool.projectedAccount(keys[1].address as Address)).to.deep.equal({ balance: 1_000_000n, nonce: 1 })
    // Undoing the displaced one left the same projection a rebuild from the tip state gives.
    const accounts = () => keys.map((k) => pool.projectedAccount(k.address as Address))
    const undone = accounts()
    expect(pool.revalidate(genesisState(genesis))).to.deep.equal([])
    expect(accounts()).to.deep.equal(undone)
  })

  it('when a displaced transfer paid an account that spent it, that spend leaves too', async () => {
    const [fresh] = await testKeys(1, crypto, 'fresh') // not in genesis: it holds what t1 pays
    const t1 = await transfer(keys[1], fresh.address, 100n, 0, crypto, { fee: 0n })
    const t2 = await transfer(fresh, fresh.address, 1n, 0, crypto, { fee: 0n })
    const honest = await transfer(keys[0], keys[2].address, 1n, 0, crypto, { fee: 1000n })
    const [s1, s2] = [t1, t2].map((t) => encodeTransaction(t).length)
    const pool = new Mempool(genesis, genesisState(genesis), s1 + s2 + 8)
    pool.add(t1)
    pool.add(t2)
    pool.add(honest)
    expect(pool.select(10, 1 << 20).map((t) => t.body.fee)).to.deep.equal([1000n])
    expect(pool.projectedAccount(fresh.address as Address)).to.deep.equal({ balance: 0n, nonce: 0 })
    expect(pool.projectedAccount(keys[1].address as Address).nonce).to.equal(0)
  })

  it('holds at most maxPerSender transactions of one sender (SENDER_LIMIT)', async () => {
    const pool = new Mempool(genesis, genesisState(genesis), 1 << 20, 3)
    for (let n = 0; n < 3; n++) pool.add(await transfer(keys[1], keys[1].address, 1n, n, crypto))
    expect(
      await errorCode(async () => pool.check(await transfer(keys[1], keys[1].address, 1n, 3, crypto))),
    ).to.equal('SENDER_LIMIT')
    pool.add(await transfer(keys[2], keys[1].address, 1n, 0, crypto))
    expect(pool.size).to.equal(4)
  })

  it('refuses fees below the genesis minFee, in the mempool and as a ledger rule in blocks', async () => {
    const priced = bftGenesis(keys, { minFee: '10' })
    const s0 = genesisState(priced)
    const pool = new Mempool(priced, s0)
    const low = await transfer(keys[1], keys[1].address, 1n, 0, crypto, { fee: 9n })
    expect(await errorCode(() => pool.add(low))).to.equal('FEE_TOO_LOW')
    pool.add(await transfer(keys[1], keys[1].address, 1n, 0, crypto, { fee: 10n }))
    // A leader cannot include it either: the block is invalid.
    const block = await nextBlock(s0, [low], keys[0], crypto)
    expect(await errorCode(() => applyBlock(s0, block, priced))).to.equal('FEE_TOO_LOW')
    // Without minFee (genesis files written before it) fee 0 stays valid.
    expect(bftGenesis(keys).minFee).to.equal(0n)
  })
})
