import { expect } from 'chai'
import type { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { toHex } from '../src/encoding/hash.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { type Block, decodeBlock, encodeBlock } from '../src/ledger/block.ts'
import type { LedgerState } from '../src/ledger/ledger-state.ts'
import type { Transaction } from '../src/ledger/transaction.ts'
import { createNode, type PPNode } from '../src/node.ts'
import {
  bftGenesis,
  errorCode,
  nextBlock,
  type TestKey,
  testKeys,
  transfer,
} from './support/chain-fixtures.ts'
import { within } from './support/network-fixtures.ts'
import { drivenPlatform } from './support/node-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

/** The same header and signature with another body: what a body-swapping attacker sends. */
function withBody(block: Block, txs: Transaction[]): Block {
  return decodeBlock(encodeBlock({ header: block.header, signature: block.signature, txs }))
}

// keys[0] leads even slots, keys[1] odd slots; keys[2] leads none. k = 5.
describe('block intake: only fully validated blocks are kept, on every branch', () => {
  let env: TestPlatform
  let keys: TestKey[]
  let node: PPNode
  let genesis: ReturnType<typeof bftGenesis>
  let clock: ManualClock
  /** The state after block 1 (slot 0), where the test's forks start. */
  let s1: LedgerState
  const sign = (state: LedgerState, txs: Transaction[], key: TestKey, slot: number) =>
    nextBlock(state, txs, key, env.platform.crypto, slot)

  beforeEach(async () => {
    env = await testPlatform()
    keys = await testKeys(3, env.platform.crypto)
    genesis = bftGenesis(keys, {}, 2)
    const driven = drivenPlatform(env.platform, genesis)
    const { platform } = driven
    clock = driven.clock
    clock.set(genesis.genesisTime + 40 * genesis.slotMs)
    node = createNode({ genesis }, platform) // a follower: produces nothing itself
    await node.start()
    const b1 = await sign(node.chainStore.state, [], keys[0], 0)
    expect(await node.receiveBlock(b1)).to.equal('added')
    s1 = node.chainStore.state
    expect(await node.receiveBlock(await sign(s1, [], keys[0], 2))).to.equal('added')
  })
  afterEach(async () => {
    await node.stop()
    await env.dispose()
  })

  it('refuses a side block whose issuer leads no slot, and stores nothing of it', async () => {
    const stranger = await sign(s1, [], keys[2], 3)
    const wrongSlot = await sign(s1, [], keys[1], 4) // keys[1] leads odd slots only
    expect(await errorCode(() => node.receiveBlock(stranger))).to.equal('NOT_LEADER')
    expect(await errorCode(() => node.receiveBlock(wrongSlot))).to.equal('NOT_LEADER')
    expect(await node.chainStore.hasBlock(stranger.hash)).to.equal(false)
    expect(await node.chainStore.hasBlock(wrongSlot.hash)).to.equal(false)
    const honest = await sign(s1, [], keys[1], 3)
    expect(await node.receiveBlock(honest)).to.equal('side')
    expect(await node.chainStore.hasBlock(honest.hash)).to.equal(true)
  })

  it('refuses a side block over the size or count limits, or breaking a ledger rule, and its descendants', async () => {
    const txs = await Promise.all(
      Array.from({ length: genesis.maxTxPerBlock + 1 }, (_, i) =>
        transfer(keys[2], keys[1].address, 1n, i, env.platform.crypto),
      ),
    )
    const crowded = await sign(s1, txs, keys[1], 3)
    expect(await errorCode(() => node.receiveBlock(crowded))).to.equal('TOO_MANY_TXS')
    const overspend = await transfer(keys[2], keys[1].address, 10n ** 12n, 0, env.platform.crypto)
    const bad = await sign(s1, [overspend], keys[1], 3)
    expect(await errorCode(() => node.receiveBlock(bad))).to.equal('INSUFFICIENT_BALANCE')
    // Its child is refused at once: its whole branch is invalid.
    const badState = { ...s1, tip: { index: 2, slot: 3, hash: bad.hash } }
    const child = await sign(badState, [], keys[0], 4)
    expect(await errorCode(() => node.receiveBlock(child))).to.equal('INVALID_ANCESTOR')
    for (const block of [crowded, bad, child])
      expect(await node.chainStore.hasBlock(block.hash)).to.equal(false)
  })

  it('refuses a real header with another body, keeps the honest copy, and follows its branch', async () => {
    const tx = await transfer(keys[2], keys[1].address, 5n, 0, env.platform.crypto)
    const honest = await sign(s1, [tx], keys[1], 3)
    const forged = withBody(honest, [])
    expect(toHex(forged.hash)).to.equal(toHex(honest.hash)) // the hash covers the header only
    expect(await errorCode(() => node.receiveBlock(forged))).to.equal('BODY_HASH_MISMATCH')
    expect(await node.receiveBlock(honest)).to.equal('side')
    const next = await sign(applyBlock(s1, honest, genesis), [], keys[0], 4)
    expect(await node.receiveBlock(next)).to.equal('added')
    expect(node.getState().tip.hash).to.equal(toHex(next.hash))
    expect(node.getAccount(keys[1].address).balance).to.equal(1_000_006n) // 5 sent, 1 fee as issuer
  })

  it('keeps an equivocating block as a candidate, reports it, and adopts the longer chain through it', async () => {
    const equivocations: string[][] = []
    node.addEventListener('block:equivocation', (e) => equivocations.push(e.detail.hashes))
    const first = node.chainStore.state.tip.hash
    const tx = await transfer(keys[2], keys[1].address, 5n, 0, env.platform.crypto)
    const second = await sign(s1, [tx], keys[0], 2) // keys[0] signed slot 2 already
    expect(await node.receiveBlock(second)).to.equal('side')
    expect(node.isEquivocation(second)).to.equal(true)
    expect(equivocations).to.deep.equal([[toHex(first), toHex(second.hash)]])
    const longer = await sign(applyBlock(s1, second, genesis), [], keys[1], 3)
    expect(await node.receiveBlock(longer)).to.equal('added')
    expect(node.getState().tip).to.deep.equal({ index: 3, slot: 3, hash: toHex(longer.hash) })
    expect(toHex((await node.chainStore.hashAt(2))!)).to.equal(toHex(second.hash))
  })

  it('holds a block a few slots ahead of our clock until its slot comes, instead of refusing it', async () => {
    const early = await sign(node.chainStore.state, [], keys[1], 43) // our clock: slot 40
    let outcome: string | undefined
    const received = node.receiveBlock(early).then((o) => {
      outcome = o
    })
    await new Promise((r) => setTimeout(r, 50))
    expect(outcome).to.equal(undefined) // waiting, not refused
    clock.set(slotStart(genesis, 42)) // within the one-slot skew of slot 43
    await received
    expect(outcome).to.equal('added')
    // Beyond the hold (5 slots): refused at once.
    const far = await sign(node.chainStore.state, [], keys[0], 50)
    expect(await errorCode(() => node.receiveBlock(far))).to.equal('FUTURE_SLOT')
  })

  it('refuses an early block whose header signature fails or whose issuer leads no slot before holding it', async () => {
    const honest = await sign(node.chainStore.state, [], keys[1], 43) // our clock: slot 40
    const forged = decodeBlock(
      encodeBlock({ header: honest.header, signature: new Uint8Array(64).fill(7), txs: honest.txs }),
    )
    // Refused at once (the clock does not move here): not held until slot 42 to be judged.
    const judged = (block: Block) =>
      within(
        errorCode(() => node.receiveBlock(block)),
        'a verdict',
        5000,
      )
    expect(await judged(forged)).to.equal('BAD_SIGNATURE')
    expect(await judged(await sign(node.chainStore.state, [], keys[2], 43))).to.equal('NOT_LEADER')
  })

  it('keeps at most three blocks of one issuer for one slot, unless one makes a longer chain', async () => {
    const variants = await Promise.all(
      [1n, 2n, 3n, 4n, 5n].map(async (amount) =>
        sign(s1, [await transfer(keys[2], keys[0].address, amount, 0, env.platform.crypto)], keys[1], 3),
      ),
    )
    for (const block of variants.slice(0, 3)) expect(await node.receiveBlock(block)).to.equal('side')
    expect(await errorCode(() => node.receiveBlock(variants[3]))).to.equal('TOO_MANY_VARIANTS')
    expect(await node.chainStore.hasBlock(variants[3].hash)).to.equal(false)
    // A run through a fifth variant that is longer than the best chain is adopted (as sync brings it).
    const child = await sign(applyBlock(s1, variants[4], genesis), [], keys[0], 4)
    expect(await node.receiveBlocks([variants[4], child])).to.equal('added')
    expect(node.getState().tip.hash).to.equal(toHex(child.hash))
    // A child of a stored variant is followed as before.
    const other = await sign(applyBlock(s1, variants[1], genesis), [], keys[0], 4)
    expect(await node.receiveBlock(other)).to.equal('side')
  })

  it('prunes side blocks once no fork through them can be adopted (more than k below the tip)', async () => {
    const side = await sign(s1, [], keys[1], 3)
    expect(await node.receiveBlock(side)).to.equal('side')
    // Grow the best chain to index 2 + k: the side block (index 2) is then k below the tip.
    for (let slot = 4; node.chainStore.tip.index < 2 + genesis.k; slot += 2)
      expect(await node.receiveBlock(await sign(node.chainStore.state, [], keys[0], slot))).to.equal('added')
    expect(await node.chainStore.hasBlock(side.hash)).to.equal(false)
    for (let index = 1; index <= node.chainStore.tip.index; index++)
      expect(await node.chainStore.hasBlock((await node.chainStore.hashAt(index))!)).to.equal(true)
  })
})
