import { expect } from 'chai'
import { crossingBlock, landedBlock } from '../platform/browser/worker-node/lazy-block.ts'
import { blockToJson } from '../src/index.ts'
import { decodeBlock, encodeBlock } from '../src/ledger/block.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { bftGenesis, nextBlock, testKeys, transfer } from './support/chain-fixtures.ts'
import { testCrypto } from './support/test-platform.ts'

describe('a block crossing from the node worker to the page', () => {
  it('crosses as header and encoding; the page decodes its transactions when they are read', async () => {
    const crypto = await testCrypto()
    const keys = await testKeys(3, crypto)
    const txs = await Promise.all([0, 1, 2].map((n) => transfer(keys[1], keys[2].address, 5n, n, crypto)))
    const made = await nextBlock(genesisState(bftGenesis(keys)), txs, keys[0], crypto)
    const received = decodeBlock(encodeBlock(made))

    const crossing = crossingBlock(received)
    expect(crossing).to.not.have.property('txs')
    // The bytes the worker received, not a re-encoding.
    expect(crossing.encoded).to.equal(encodeBlock(received))
    const landed = landedBlock(structuredClone(crossing))
    expect(landed).to.not.have.property('encoded')
    expect(Object.getOwnPropertyDescriptor(landed, 'txs')?.get, 'not decoded before it is read').to.be.a(
      'function',
    )
    expect(landed.header).to.deep.equal(made.header)
    expect(landed.hash).to.deep.equal(made.hash)
    expect(landed.txs).to.deep.equal(made.txs)
    expect(Object.getOwnPropertyDescriptor(landed, 'txs')?.value, 'decoded once').to.equal(landed.txs)
    expect(blockToJson(landed)).to.deep.equal(blockToJson(made))
  })
})
