import { expect } from 'chai'
import { epochData } from '../src/consensus/epoch-data.ts'
import { checkLeadership, type ProducerKeys } from '../src/consensus/leader-check.ts'
import { vrfPublicKey } from '../src/crypto/vrf.ts'
import { hash, toHex } from '../src/encoding/hash.ts'
import { type Genesis, parseGenesis } from '../src/genesis.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { bodyHash, signBlock } from '../src/ledger/block.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import type { LedgerState } from '../src/ledger/ledger-state.ts'
import { signTransaction, type Transaction } from '../src/ledger/transaction.ts'
import type { CryptoPort } from '../src/ports.ts'
import { errorCode, type TestKey, testKeys } from './support/chain-fixtures.ts'
import { testCrypto } from './support/test-platform.ts'

const EPOCH = 30
const WINDOW = 4 // k = 1, f = 9/10: the stability window ⌈3k/f⌉ is 4 slots, so the nonce freezes at offset 26
const seed = (tag: string) => hash(new TextEncoder().encode(`pp-test-vrf-${tag}`))

/** Leads `slot` with `keys` on the chain ending at `state`: a signed block with `txs`, or undefined. */
async function lead(
  state: LedgerState,
  slot: number,
  keys: ProducerKeys & { secret: Uint8Array },
  genesis: Genesis,
  crypto: CryptoPort,
  txs: Transaction[] = [],
) {
  const leadership = checkLeadership(state, slot, keys, genesis)
  if (leadership === undefined) return undefined
  const header = {
    index: state.tip.index + 1,
    slot,
    prevHash: state.tip.hash,
    bodyHash: bodyHash(txs),
    issuer: keys.publicKey,
    ...leadership,
    protocolVersion: 1,
  }
  return signBlock(header, txs, keys.secret, crypto)
}

/** How many slots of `epoch` a VRF secret leads with `pool`'s stake, judged with `state`'s epoch data. */
function ledSlots(state: LedgerState, epoch: number, pool: TestKey, vrfSecret: Uint8Array, genesis: Genesis) {
  let led = 0
  for (let slot = epoch * EPOCH; slot < (epoch + 1) * EPOCH; slot++) {
    const keys = { secret: pool.secret, publicKey: pool.publicKey, vrfSecret }
    if (checkLeadership(state, slot, keys, genesis) !== undefined) led++
  }
  return led
}

describe('epoch nonce: fixed after the stake snapshot it is used with (no grinding)', () => {
  let crypto: CryptoPort
  let honest: TestKey
  let grinder: TestKey
  let genesis: Genesis

  before(async () => {
    crypto = await testCrypto()
    ;[honest, grinder] = await testKeys(2, crypto, 'nonce')
    genesis = parseGenesis({
      chainId: 'pp-test',
      genesisTime: 0,
      slotMs: 1000,
      epochLength: EPOCH,
      k: 1,
      activeSlotCoeff: '9/10',
      maxBlockBytes: 64 * 1024,
      maxTxPerBlock: 100,
      mode: 'praos',
      protocolVersion: 1,
      balances: { [honest.address]: '900000', [grinder.address]: '100000' },
      pools: [
        { publicKey: toHex(honest.publicKey), vrfKey: toHex(vrfPublicKey(seed('honest'))) },
        { publicKey: toHex(grinder.publicKey), vrfKey: toHex(vrfPublicKey(seed('grinder'))) },
      ],
    })
  })

  it('a 10 % pool that grinds its VRF key against the nonce it can foresee leads no more slots than chance', async () => {
    const honestKeys = { ...honest, vrfSecret: seed('honest') }
    const grinderKeys = { ...grinder, vrfSecret: seed('grinder') }
    // The honest pool makes epoch 0 up to the grinder's last slot in it; the grinder makes that last block.
    let state = genesisState(genesis)
    let grinderSlot = -1
    for (let slot = 0; slot < EPOCH; slot++)
      if (checkLeadership(state, slot, grinderKeys, genesis)) grinderSlot = slot
    expect(grinderSlot, 'the grinder leads a slot in epoch 0').to.be.greaterThan(0)
    for (let slot = 0; slot < grinderSlot; slot++) {
      const block = await lead(state, slot, honestKeys, genesis, crypto)
      if (block) state = applyBlock(state, block, genesis)
    }
    // The grinder's view when it signs the last block of epoch 0 (the end of epoch e − 2 for e = 2):
    // the chain including its own block, whose VRF output it knows before registering anything.
    const plain = (await lead(state, grinderSlot, grinderKeys, genesis, crypto))!
    const foreseen = applyBlock(state, plain, genesis)
    const candidates = Array.from({ length: 24 }, (_, i) => seed(`ground-${i}`))
    const scores = candidates.map((vrf) => ledSlots(foreseen, 2, grinder, vrf, genesis))
    const best = scores.indexOf(Math.max(...scores))
    const register = await signTransaction(
      {
        type: 'register-pool',
        chainId: 'pp-test',
        from: grinder.address,
        fee: 0n,
        nonce: 0,
        vrfKey: vrfPublicKey(candidates[best]),
      },
      grinder.secret,
      crypto,
    )
    state = applyBlock(
      state,
      (await lead(state, grinderSlot, grinderKeys, genesis, crypto, [register]))!,
      genesis,
    )
    // Epoch 1: only the honest pool produces.
    for (let slot = EPOCH; slot < 2 * EPOCH; slot++) {
      const block = await lead(state, slot, honestKeys, genesis, crypto)
      if (block) state = applyBlock(state, block, genesis)
    }
    const actual = ledSlots(state, 2, grinder, candidates[best], genesis)
    // 24 keys tried: the best one foresees far more than the φ(0.1) · 30 ≈ 6.2 slots of chance ...
    expect(scores[best]).to.be.at.least(9)
    // ... but the nonce of epoch 2 comes from epoch 1's blocks, unknown when the key was chosen.
    expect(toHex(epochData(state, 2, genesis).nonce)).to.not.equal(
      toHex(epochData(foreseen, 2, genesis).nonce),
    )
    expect(actual).to.be.lessThan(scores[best])
  })

  it('blocks in the last 3k/f slots of an epoch do not move the next epoch nonce; earlier ones do', async () => {
    const honestKeys = { ...honest, vrfSecret: seed('honest') }
    let state = genesisState(genesis)
    const nonceAfter: { slot: number; nonce: string }[] = []
    for (let slot = 0; slot < EPOCH; slot++) {
      const block = await lead(state, slot, honestKeys, genesis, crypto)
      if (!block) continue
      state = applyBlock(state, block, genesis)
      nonceAfter.push({ slot, nonce: toHex(epochData(state, 1, genesis).nonce) })
    }
    const early = nonceAfter.filter((n) => n.slot < EPOCH - WINDOW)
    const late = nonceAfter.filter((n) => n.slot >= EPOCH - WINDOW)
    expect(late.length, 'blocks after the stability point').to.be.greaterThan(0)
    expect(new Set(early.map((n) => n.nonce)).size).to.equal(early.length)
    for (const n of late) expect(n.nonce).to.equal(early.at(-1)!.nonce)
  })

  it('refuses a pool registration with another pool’s VRF key or a small-order key', async () => {
    const state = genesisState(genesis)
    const registration = (vrfKey: Uint8Array) =>
      signTransaction(
        { type: 'register-pool', chainId: 'pp-test', from: grinder.address, fee: 0n, nonce: 0, vrfKey },
        grinder.secret,
        crypto,
      )
    const honestKeys = { ...honest, vrfSecret: seed('honest') }
    let slot = 0
    while (!checkLeadership(state, slot, honestKeys, genesis)) slot++
    const withTx = async (tx: Transaction) => (await lead(state, slot, honestKeys, genesis, crypto, [tx]))!
    const taken = await withTx(await registration(vrfPublicKey(seed('honest'))))
    expect(await errorCode(() => applyBlock(state, taken, genesis))).to.equal('BAD_VRF_KEY')
    const identity = new Uint8Array(32)
    identity[0] = 1
    const smallOrder = await withTx(await registration(identity))
    expect(await errorCode(() => applyBlock(state, smallOrder, genesis))).to.equal('BAD_VRF_KEY')
    const fresh = await withTx(await registration(vrfPublicKey(seed('fresh'))))
    expect(applyBlock(state, fresh, genesis).vrfKeyOwners.get(toHex(vrfPublicKey(seed('fresh'))))).to.equal(
      grinder.address,
    )
  })
})
