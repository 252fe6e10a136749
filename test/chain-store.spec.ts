import { expect } from 'chai'
import { HistoryPrunedError } from '../src/errors.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import { accountOf } from '../src/ledger/ledger-state.ts'
import type { CryptoPort } from '../src/ports.ts'
import {
  bftGenesis,
  errorCode,
  nextBlock,
  type TestKey,
  testKeys,
  transfer,
} from './support/chain-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

describe('chain store', () => {
  let env: TestPlatform
  let crypto: CryptoPort
  let keys: TestKey[]
  let genesis: ReturnType<typeof bftGenesis>

  beforeEach(async () => {
    env = await testPlatform()
    crypto = env.platform.crypto
    keys = await testKeys(3, crypto)
    genesis = bftGenesis(keys) // k = 5
  })
  afterEach(() => env.dispose())

  async function grow(chain: ChainStore, n: number, from = keys[1], slotGap = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      const nonce = accountOf(chain.state, from.address).nonce
      const tx = await transfer(from, keys[2].address, 10n, nonce, crypto)
      await chain.adopt([await nextBlock(chain.state, [tx], keys[0], crypto, chain.tip.slot + slotGap)])
    }
  }

  it('keeps blocks, best-chain index and state across close and reopen', async () => {
    const chain = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    await grow(chain, 30)
    const tip = chain.tip
    const state = chain.state
    await chain.close()
    const again = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    expect(again.tip).to.deep.equal(tip)
    expect(again.state).to.deep.equal(state)
    const blocks = await again.getBlocks(1, 100)
    expect(blocks.map((b) => b.header.index)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 1))
    expect((await again.getBlocks(28, 10)).length).to.equal(3)
    expect(await again.hashAt(30)).to.deep.equal(tip.hash)
    await again.close()
  })

  it('rolls back up to k blocks to adopt a fork, restoring the earlier state exactly', async () => {
    const chain = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    await grow(chain, 5)
    const forkBase = chain.state
    await grow(chain, 5)
    // A competing branch from block 5: different transfers, one block longer.
    const fork = []
    let state = forkBase
    for (let i = 0; i < 6; i++) {
      const tx = await transfer(keys[2], keys[1].address, 1n, accountOf(state, keys[2].address).nonce, crypto)
      const block = await nextBlock(state, [tx], keys[0], crypto, state.tip.slot + 2)
      fork.push(block)
      state = applyBlock(state, block, genesis)
    }
    const { rolledBack, applied } = await chain.adopt(fork)
    expect(rolledBack.map((b) => b.header.index)).to.deep.equal([6, 7, 8, 9, 10])
    expect(applied).to.have.length(6)
    expect(chain.tip.index).to.equal(11)
    expect(chain.state).to.deep.equal(state)
    expect(chain.stateAt(6)).to.deep.equal(applyBlock(forkBase, fork[0], genesis))
    await chain.close()
    const reopened = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    expect(reopened.state).to.deep.equal(state)
    await reopened.close()
  })

  it('refuses to roll back deeper than k', async () => {
    const chain = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    await grow(chain, 4)
    const base = chain.state
    await grow(chain, 6) // base is now 6 blocks below the tip, k = 5
    const fork = [await nextBlock(base, [], keys[0], crypto, base.tip.slot + 3)]
    expect(await errorCode(() => chain.adopt(fork))).to.equal('FORK_TOO_DEEP')
    expect(chain.tip.index).to.equal(10)
    await chain.close()
  })

  it('leaves the chain unchanged when a block of the batch breaks a rule', async () => {
    const chain = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    await grow(chain, 3)
    const tip = chain.tip
    const good = await nextBlock(chain.state, [], keys[0], crypto)
    const bad = await nextBlock(
      chain.state,
      [await transfer(keys[1], keys[2].address, 1n, 0, crypto)],
      keys[0],
      crypto,
    )
    expect(await errorCode(() => chain.adopt([bad]))).to.equal('BAD_NONCE')
    expect(await errorCode(() => chain.adopt([good, bad]))).to.equal('BAD_PARENT')
    expect(chain.tip).to.deep.equal(tip)
    await chain.close()
    const reopened = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    expect(reopened.tip).to.deep.equal(tip)
    await reopened.close()
  })

  it('refuses a store of another chain and a store of another program, with clear errors', async () => {
    const chain = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    await chain.close()
    const other = bftGenesis(keys, { chainId: 'pp-other' })
    const store = await env.platform.openStore('chain')
    const err = await ChainStore.open(store, other).catch((e: Error) => e)
    expect((err as { code?: string }).code).to.equal('STORE_CORRUPT')
    expect((err as Error).message).to.match(/holds the chain of genesis/)
    await store.close()
    const foreign = await env.platform.openStore('foreign')
    await foreign.batch([{ type: 'put', key: 'something', value: new Uint8Array([1]) }])
    expect(await errorCode(() => ChainStore.open(foreign, genesis))).to.equal('STORE_CORRUPT')
    await foreign.close()
  })

  it('detects a damaged block record at open', async () => {
    const chain = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    await grow(chain, 3)
    const tipHash = chain.tip.hash
    await chain.close()
    const store = await env.platform.openStore('chain')
    const hex = Array.from(tipHash, (b) => b.toString(16).padStart(2, '0')).join('')
    await store.batch([{ type: 'put', key: `b/${hex}`, value: new Uint8Array([0xa1, 0x00]) }])
    expect(await errorCode(() => ChainStore.open(store, genesis))).to.equal('STORE_CORRUPT')
    await store.close()
  })

  it('with keepEpochs, deletes settled blocks older than that, says so with a typed error, and keeps its horizon across reopen', async () => {
    const history = { keepEpochs: 2 } // 2 epochs of 10 slots: the last 20 blocks, at least
    const chain = await ChainStore.open(await env.platform.openStore('chain'), genesis, history)
    await grow(chain, 40)
    expect(chain.horizon).to.equal(21)
    const pruned = await chain.getBlocks(20, 5).then(
      () => undefined,
      (err: HistoryPrunedError) => err,
    )
    expect(pruned).to.be.instanceOf(HistoryPrunedError)
    expect({ code: pruned?.code, horizon: pruned?.horizon }).to.deep.equal({
      code: 'HISTORY_PRUNED',
      horizon: 21,
    })
    expect((await chain.getBlocks(21, 100)).map((b) => b.header.index)).to.deep.equal(
      Array.from({ length: 20 }, (_, i) => i + 21),
    )
    expect(await chain.hashAt(20)).to.equal(undefined)
    // The pruned blocks are gone from the store, with their index entries.
    const count = async (prefix: string) => {
      let n = 0
      for await (const _ of store.entries({ prefix })) n++
      return n
    }
    const state = chain.state
    await chain.close()
    const store = await env.platform.openStore('chain')
    expect([await count('b/'), await count('i/'), await count('h/')]).to.deep.equal([20, 20, 20])
    const again = await ChainStore.open(store, genesis, history)
    expect(again.horizon).to.equal(21)
    expect(again.state).to.deep.equal(state)
    await grow(again, 5)
    expect(again.horizon).to.equal(26)
    // Forks up to k deep are still adopted: pruning never reaches the last k blocks.
    const forkBase = again.stateAt(again.tip.index - 5)!
    let fork = forkBase
    const branch = []
    for (let i = 0; i < 6; i++) {
      const tx = await transfer(keys[2], keys[1].address, 1n, accountOf(fork, keys[2].address).nonce, crypto)
      const block = await nextBlock(fork, [tx], keys[0], crypto, fork.tip.slot + 2)
      branch.push(block)
      fork = applyBlock(fork, block, genesis)
    }
    await again.adopt(branch)
    expect(again.tip.hash).to.deep.equal(fork.tip.hash)
    await again.close()
  })
})
