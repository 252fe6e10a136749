import { expect } from 'chai'
import { HeaderChain } from '../src/consensus/header-chain.ts'
import { epochOf } from '../src/consensus/slot-clock.ts'
import { toHex } from '../src/encoding/hash.ts'
import { type BlockHeader, encodeBlock, signBlock } from '../src/ledger/block.ts'
import { decodeEpochStake, encodeEpochStake, epochStakeKey } from '../src/ledger/epoch-stake.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import type { ChainTip } from '../src/ledger/ledger-state.ts'
import { decodeSignedHeader, type SignedHeader, signedHeaderWire } from '../src/ledger/signed-header.ts'
import type { CryptoPort } from '../src/ports.ts'
import { errorCode, testKeys } from './support/chain-fixtures.ts'
import { type PraosChain, praosChain } from './support/praos-chain.ts'
import { testCrypto } from './support/test-platform.ts'

const FAR = Number.MAX_SAFE_INTEGER

describe('header chain: a chain checked from its headers alone, with one proven stake record per epoch', function () {
  this.timeout(120_000)
  let crypto: CryptoPort
  let chain: PraosChain
  let headers: SignedHeader[]

  before(async () => {
    crypto = await testCrypto()
    chain = await praosChain(crypto, 6)
    headers = chain.blocks.map((b) => decodeSignedHeader(signedHeaderWire(encodeBlock(b))))
  })

  /** The stake records as an honest peer serves them, counting the questions. */
  const honest =
    (asked: ChainTip[] = []) =>
    async (tip: ChainTip) => {
      asked.push(tip)
      const record = chain.stakeRecords.get(epochStakeKey(tip.hash))
      if (record === undefined) throw new Error(`no stake record for block ${tip.index}`)
      return decodeEpochStake(record)
    }

  it('checks a real Praos chain whose stake moves every block, asking once per epoch crossed', async () => {
    const { genesis, blocks, states } = chain
    const epochOfBlock = (i: number) => epochOf(genesis, blocks[i].header.slot)
    const epochsCrossed = blocks.filter((_, i) => i > 0 && epochOfBlock(i) > epochOfBlock(i - 1)).length
    expect(epochsCrossed).to.be.at.least(4)
    // The stake really moves: the pools' stake at the last block is not the genesis stake.
    const last = states[states.length - 1]
    expect([...last.stake.pools.values()].map((p) => p.stake)).not.to.deep.equal(
      [...genesisState(genesis).stake.pools.values()].map((p) => p.stake),
    )
    const verifier = new HeaderChain(genesis, crypto, 10)
    const asked: ChainTip[] = []
    for (let i = 0; i < headers.length; i += 25)
      await verifier.extend(headers.slice(i, i + 25), honest(asked), FAR)
    expect(verifier.tip.index).to.equal(blocks.length)
    expect(toHex(verifier.tip.hash)).to.equal(toHex(blocks[blocks.length - 1].hash))
    expect(asked.length).to.equal(epochsCrossed)
    const point = verifier.checkpoint(blocks.length - 3)
    expect(point?.index).to.equal(Math.floor((blocks.length - 3) / 10) * 10)
    expect(toHex(point!.hash)).to.equal(toHex(blocks[point!.index - 1].hash))
  })

  it('refuses a stake record that is not the one the block committed to (a peer that says the stake never moved)', async () => {
    const { genesis } = chain
    const stale = async (tip: ChainTip) => ({
      ...(await honest()(tip)),
      stake: genesisState(genesis).stake,
    })
    const verifier = new HeaderChain(genesis, crypto, 10)
    expect(await errorCode(() => verifier.extend(headers, stale, FAR))).to.equal('SNAPSHOT_MISMATCH')
    // Everything before the first epoch crossed was checked and kept.
    const firstCrossing = headers.findIndex((h) => epochOf(genesis, h.header.slot) > 0)
    expect(verifier.tip.index).to.equal(firstCrossing)
    // A record of another block's stake (a real record, wrong place) fails the same way.
    const other = new HeaderChain(genesis, crypto, 10)
    const records = [...chain.stakeRecords.values()]
    const shifted = async () => decodeEpochStake(records[records.length - 1])
    expect(await errorCode(() => other.extend(headers, shifted, FAR))).to.equal('SNAPSHOT_MISMATCH')
  })

  it('refuses a validly signed header from a key with no stake, a forged signature, a broken link and a future slot', async () => {
    const { genesis, blocks } = chain
    const at = 20
    const prefix = headers.slice(0, at)
    const base = headers[at].header
    const [stranger] = await testKeys(1, crypto, 'no-stake')
    const signed = async (header: BlockHeader, secret: Uint8Array) => {
      const block = await signBlock(header, [], secret, crypto)
      return decodeSignedHeader(signedHeaderWire(encodeBlock(block)))
    }
    const cases: Array<[string, SignedHeader, number?]> = [
      // The real header's VRF proof, issued and signed by a key that is no pool.
      ['NOT_LEADER', await signed({ ...base, issuer: stranger.publicKey }, stranger.secret)],
      [
        'BAD_SIGNATURE',
        { ...headers[at], signature: headers[at].signature.map((b, i) => (i === 0 ? b ^ 1 : b)) },
      ],
      ['BAD_PARENT', headers[at + 1]],
      ['FUTURE_SLOT', headers[at], base.slot - 1],
    ]
    for (const [code, lie, maxSlot] of cases) {
      const verifier = new HeaderChain(genesis, crypto, 10)
      await verifier.extend(prefix, honest(), FAR)
      expect(await errorCode(() => verifier.extend([lie], honest(), maxSlot ?? FAR)), code).to.equal(code)
      expect(verifier.tip.index).to.equal(at)
      // The true header still extends the same verifier.
      await verifier.extend([headers[at]], honest(), FAR)
      expect(toHex(verifier.tip.hash)).to.equal(toHex(blocks[at].hash))
    }
  })

  it('a stake record is the stake after the last block of its epoch, and only such blocks have one', () => {
    const { genesis, blocks, states, stakeRecords } = chain
    for (const [i, block] of blocks.entries()) {
      const next = blocks[i + 1]
      const ends =
        next !== undefined && epochOf(genesis, next.header.slot) > epochOf(genesis, block.header.slot)
      const record = stakeRecords.get(epochStakeKey(block.hash))
      expect(record !== undefined, `block ${i + 1}`).to.equal(ends)
      if (record) expect(toHex(record)).to.equal(toHex(encodeEpochStake(states[i])))
    }
  })
})
