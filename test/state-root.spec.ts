import { expect } from 'chai'
import { toHex } from '../src/encoding/hash.ts'
import type { Genesis } from '../src/genesis.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { type Block, decodeBlock, encodeBlock, signBlock } from '../src/ledger/block.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { accountOf, type LedgerState } from '../src/ledger/ledger-state.ts'
import { decodeAccount, encodeAccount } from '../src/ledger/state-codec.ts'
import { accountsTree, proveAccount, stateRootOf, verifyAccountProof } from '../src/ledger/state-root.ts'
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

describe('state root: every header commits to the state its block leads to', () => {
  let env: TestPlatform
  let crypto: CryptoPort
  let keys: TestKey[]
  let genesis: Genesis

  before(async () => {
    env = await testPlatform()
    crypto = env.platform.crypto
    keys = await testKeys(4, crypto, 'root')
    genesis = bftGenesis(keys, { protocolVersion: 2, k: 3, epochLength: 4 })
  })
  after(() => env.dispose())

  /** `count` blocks of one transfer each (to a new address now and then), from `state`. */
  async function chain(
    state: LedgerState,
    count: number,
  ): Promise<{ blocks: Block[]; states: LedgerState[] }> {
    const blocks: Block[] = []
    const states: LedgerState[] = []
    for (let i = 0; i < count; i++) {
      const from = keys[1 + (i % 3)]
      const to = i % 2 === 0 ? keys[0].address : (await testKeys(1, crypto, `new-${i}`))[0].address
      const tx = await transfer(from, to, BigInt(10 + i), accountOf(state, from.address).nonce, crypto)
      const block = await nextBlock(state, [tx], keys[0], crypto, undefined, { genesis })
      state = applyBlock(state, block, genesis)
      blocks.push(block)
      states.push(state)
    }
    return { blocks, states }
  }

  it('the root of each state equals one computed from scratch over all its accounts and consensus data', async () => {
    const { states } = await chain(genesisState(genesis), 10)
    for (const state of states) {
      const fromScratch = stateRootOf(accountsTree(state.accounts).root, state)
      expect(toHex(state.stateRoot)).to.equal(toHex(fromScratch))
    }
    expect(new Set(states.map((s) => toHex(s.stateRoot))).size).to.equal(states.length)
  })

  it('refuses a validly signed header whose state root is another, or missing, and a version 1 header that carries one', async () => {
    const s0 = genesisState(genesis)
    const tx = await transfer(keys[1], keys[2].address, 5n, 0, crypto)
    const right = await nextBlock(s0, [tx], keys[0], crypto, 0, { genesis })
    expect(toHex(right.header.stateRoot!)).to.equal(toHex(applyBlock(s0, right, genesis).stateRoot))
    // The root of the state without the transfer: right for an empty block, wrong for this one.
    const wrong = await nextBlock(s0, [tx], keys[0], crypto, 0, { genesis, stateRoot: s0.stateRoot })
    expect(await errorCode(() => applyBlock(s0, wrong, genesis))).to.equal('STATE_ROOT_MISMATCH')
    const v1 = bftGenesis(keys)
    const { stateRoot: _, ...bare } = right.header
    const missing = await signBlock(bare, [tx], keys[0].secret, crypto)
    expect(await errorCode(() => applyBlock(s0, missing, genesis))).to.equal('STATE_ROOT_MISMATCH')
    const s0v1 = genesisState(v1)
    const carried = await nextBlock(s0v1, [tx], keys[0], crypto, 0, {
      genesis: { ...v1, protocolVersion: 2 },
    })
    const asV1 = decodeBlock(encodeBlock({ ...carried, header: { ...carried.header, protocolVersion: 1 } }))
    expect(await errorCode(() => applyBlock(s0v1, asV1, v1))).to.equal('STATE_ROOT_MISMATCH')
  })

  it('a reopened store (LevelDB, IndexedDB) replays to the same root; a fork and back gives the roots of each branch', async () => {
    const { blocks, states } = await chain(genesisState(genesis), 12)
    let store = await ChainStore.open(await env.platform.openStore('roots'), genesis)
    await store.adopt(blocks.slice(0, 8))
    expect(toHex(store.state.stateRoot)).to.equal(toHex(states[7].stateRoot))
    // A fork from block 6: other transfers, other roots; then the first branch again, longer.
    const fork = await chain(states[5], 3)
    await store.adopt(fork.blocks)
    expect(toHex(store.state.stateRoot)).to.equal(toHex(fork.states[2].stateRoot))
    await store.adopt(blocks.slice(6))
    expect(toHex(store.state.stateRoot)).to.equal(toHex(states[11].stateRoot))
    await store.close()
    store = await ChainStore.open(await env.platform.openStore('roots'), genesis)
    for (let index = store.tip.index - genesis.k; index <= store.tip.index; index++)
      expect(toHex(store.stateAt(index)!.stateRoot), `block ${index}`).to.equal(
        toHex(states[index - 1].stateRoot),
      )
    await store.close()
  })

  it('a damaged account record in a store is found at open: the replayed blocks no longer lead to their roots', async () => {
    const { blocks } = await chain(genesisState(genesis), 10)
    const chainStore = await ChainStore.open(await env.platform.openStore('damaged'), genesis)
    await chainStore.adopt(blocks)
    await chainStore.close()
    // keys[1] sent in settled blocks: its record is stored; give it one coin more, well encoded.
    const store = await env.platform.openStore('damaged')
    const key = `a/${keys[1].address}`
    const account = decodeAccount((await store.get(key))!)
    await store.batch([
      { type: 'put', key, value: encodeAccount({ ...account, balance: account.balance + 1n }) },
    ])
    expect(await errorCode(() => ChainStore.open(store, genesis))).to.equal('STORE_CORRUPT')
    await store.close()
  })

  it('an account proof verifies against its state root, and fails for another balance, another root, or a false absence', async () => {
    const { states } = await chain(genesisState(genesis), 6)
    const state = states[5]
    const address = keys[1].address
    const account = accountOf(state, address)
    const proof = proveAccount(state.tree, state, address)
    expect(verifyAccountProof(state.stateRoot, address, account, proof)).to.equal(true)
    expect(
      verifyAccountProof(state.stateRoot, address, { ...account, balance: account.balance + 1n }, proof),
    ).to.equal(false)
    expect(verifyAccountProof(states[4].stateRoot, address, account, proof)).to.equal(false)
    expect(verifyAccountProof(state.stateRoot, address, undefined, proof)).to.equal(false)
    const stranger = (await testKeys(1, crypto, 'stranger'))[0].address
    const absent = proveAccount(state.tree, state, stranger)
    expect(verifyAccountProof(state.stateRoot, stranger, undefined, absent)).to.equal(true)
    expect(verifyAccountProof(state.stateRoot, stranger, { balance: 1n, nonce: 0 }, absent)).to.equal(false)
    // The consensus part is covered too: another nonce in the proof is refused.
    const nonce = proof.evolvingNonce.map((b, i) => (i === 0 ? b ^ 1 : b))
    expect(
      verifyAccountProof(state.stateRoot, address, account, { ...proof, evolvingNonce: nonce }),
    ).to.equal(false)
  })
})
