import { expect } from 'chai'
import { hash, toHex } from '../src/encoding/hash.ts'
import { genesisToJson, parseGenesis } from '../src/genesis.ts'
import { addressOf } from '../src/ledger/address.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import type { Block } from '../src/ledger/block.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { accountOf, type LedgerState } from '../src/ledger/ledger-state.ts'
import type { CryptoPort } from '../src/ports.ts'
import { bftGenesis, nextBlock, type TestKey, testKeys, transfer } from './support/chain-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

describe('ledger state shared between blocks (layers), settled per key', () => {
  let env: TestPlatform
  let crypto: CryptoPort
  let keys: TestKey[]

  beforeEach(async () => {
    env = await testPlatform()
    crypto = env.platform.crypto
    keys = await testKeys(4, crypto)
  })
  afterEach(() => env.dispose())

  /** A block of two transfers from keys[1] and keys[2] to `to`, on `state`. */
  async function step(state: LedgerState, to: string, slotGap = 1): Promise<Block> {
    const txs = await Promise.all(
      [keys[1], keys[2]].map((from) => transfer(from, to, 3n, accountOf(state, from.address).nonce, crypto)),
    )
    return nextBlock(state, txs, keys[0], crypto, state.tip.slot + slotGap)
  }

  it('old states read as they were after newer blocks settle, and forks up to k match a replay from genesis', async () => {
    const genesis = bftGenesis(keys) // k = 5
    const chain = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    const fresh = (i: number) => addressOf(hash(Uint8Array.of(i)))
    const best: Block[] = []
    const early: Array<{ state: LedgerState; accounts: string }> = []
    const view = (state: LedgerState) =>
      JSON.stringify([...state.accounts], (_, v) => (typeof v === 'bigint' ? `${v}` : v))
    for (let i = 0; i < 40; i++) {
      const block = await step(chain.state, fresh(i % 7))
      await chain.adopt([block])
      best.push(block)
      if (i % 10 === 3) early.push({ state: chain.state, accounts: view(chain.state) })
      if (i % 9 === 8) {
        // A fork from k blocks back, one block longer, sending elsewhere: adopted, rolling back k.
        let state = chain.stateAt(chain.tip.index - genesis.k)!
        const fork: Block[] = []
        for (let j = 0; j <= genesis.k; j++) {
          const b = await step(state, fresh(100 + j), 2)
          fork.push(b)
          state = applyBlock(state, b, genesis)
        }
        const { rolledBack } = await chain.adopt(fork)
        expect(rolledBack).to.have.length(genesis.k)
        // Heights answer chain locators from a small index: gone for the rolled-back blocks, set for the new.
        for (const b of rolledBack) expect(await chain.heightOnBestChain(b.hash)).to.equal(undefined)
        for (const b of fork) expect(await chain.heightOnBestChain(b.hash)).to.equal(b.header.index)
        best.splice(best.length - genesis.k, genesis.k, ...fork)
      }
    }
    // Every state kept aside still reads as it did, though the blocks after it were settled since.
    for (const { state, accounts } of early) expect(view(state)).to.equal(accounts)
    let replay = genesisState(genesis)
    for (const block of best) replay = applyBlock(replay, block, genesis)
    expect(toHex(replay.tip.hash)).to.equal(toHex(chain.tip.hash))
    expect(view(chain.state)).to.equal(view(replay))
    expect(chain.state.stake).to.deep.equal(replay.stake)
    await chain.close()
    const reopened = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    expect(view(reopened.state)).to.equal(view(replay))
    await reopened.close()
  })

  it('stores only the accounts blocks changed, one per key, and reopens a large ledger from them', async () => {
    const many = 20_000
    const json = genesisToJson(bftGenesis(keys))
    const balances: Record<string, string> = { ...json.balances }
    for (let i = 0; i < many; i++) balances[addressOf(hash(new TextEncoder().encode(`acct-${i}`)))] = '7'
    const genesis = parseGenesis({ ...json, balances })
    const store = await env.platform.openStore('chain')
    const chain = await ChainStore.open(store, genesis)
    const touched = new Set<string>()
    for (let i = 0; i < 30; i++) {
      const to = addressOf(hash(new TextEncoder().encode(`acct-${i * 97}`)))
      touched.add(to)
      await chain.adopt([await step(chain.state, to)])
    }
    const state = chain.state
    await chain.close()
    const reopenedStore = await env.platform.openStore('chain')
    const keysStored: string[] = []
    for await (const [key] of reopenedStore.entries()) keysStored.push(key)
    // Settled: blocks 1 … 30 − k. Their changes: the senders, the issuer (fees) and the recipients.
    const settledRecipients = [...touched].slice(0, 30 - genesis.k)
    const accountKeys = keysStored.filter((k) => k.startsWith('a/')).sort()
    expect(accountKeys).to.deep.equal(
      [keys[0].address, keys[1].address, keys[2].address, ...settledRecipients].map((a) => `a/${a}`).sort(),
    )
    expect(keysStored.filter((k) => k.startsWith('c/'))).to.deep.equal([]) // no whole-state checkpoints
    const reopened = await ChainStore.open(reopenedStore, genesis)
    expect(reopened.state).to.deep.equal(state)
    expect(accountOf(reopened.state, [...touched][0] as never).balance).to.equal(7n + 6n)
    await reopened.close()
  })
})
