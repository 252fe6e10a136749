import { expect } from 'chai'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { type Block, decodeBlock, encodeBlock } from '../src/ledger/block.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { blockSignatureChecks } from '../src/ledger/verify-signatures.ts'
import { receiveRuns } from '../src/net/receive-runs.ts'
import { createNode } from '../src/node.ts'
import type { CryptoPort } from '../src/ports.ts'
import {
  bftGenesis,
  errorCode,
  nextBlock,
  type TestKey,
  testKeys,
  transfer,
} from './support/chain-fixtures.ts'
import { drivenPlatform } from './support/node-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

/** A crypto whose `verifyBatch` calls are logged, and the second one held until released. */
function watchedCrypto(crypto: CryptoPort, log: string[]) {
  let release = (): void => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  let calls = 0
  const watched: CryptoPort = {
    ...crypto,
    verifyBatch: async (items) => {
      log.push('verify')
      if (calls++ === 1) await held
      return crypto.verifyBatch(items)
    },
  }
  return { watched, release }
}

// Signatures are verified a block at a time as they come back, so a block is applied while later
// ones still verify, and sync hands a run over before the one before it is done.
describe('signature checks run ahead of block application', () => {
  let env: TestPlatform
  let keys: TestKey[]
  let genesis: ReturnType<typeof bftGenesis>

  before(async () => {
    env = await testPlatform()
    keys = await testKeys(5, env.platform.crypto, 'pipeline')
    genesis = bftGenesis(keys, { maxTxPerBlock: 100 })
  })
  after(() => env.dispose())

  /** `count` valid blocks of `txs` transfers from keys 1–4; `bad` names a transfer whose signature is broken. */
  async function chain(count: number, txs: number, bad?: { block: number; tx: number }): Promise<Block[]> {
    let state = genesisState(genesis)
    const blocks: Block[] = []
    for (let b = 0; b < count; b++) {
      const body = await Promise.all(
        Array.from({ length: txs }, (_, i) =>
          transfer(
            keys[1 + (i % 4)],
            keys[0].address,
            1n,
            b * (txs / 4) + Math.floor(i / 4),
            env.platform.crypto,
          ),
        ),
      )
      if (bad?.block === b) {
        const signature = body[bad.tx].signature.slice()
        signature[0] ^= 1
        body[bad.tx] = { ...body[bad.tx], signature }
      }
      const block = await nextBlock(state, body, keys[0], env.platform.crypto)
      state = applyBlock(state, block, genesis)
      blocks.push(decodeBlock(encodeBlock(block)))
    }
    return blocks
  }

  it("settles each block's check as its own signatures come back, and names a bad one", async () => {
    // 12 blocks of 100 transfers: 1,212 signatures, handed over in two batches (1,000 + 212).
    const blocks = await chain(12, 100, { block: 10, tx: 5 })
    const log: string[] = []
    const { watched, release } = watchedCrypto(env.platform.crypto, log)
    const checks = blockSignatureChecks(blocks, watched)
    for (const check of checks) check.catch(() => {})
    // Blocks 0–8 (signatures 0–908) lie in the first batch: they are ready while the second is held.
    await Promise.all(checks.slice(0, 9))
    const ninth = await Promise.race([
      checks[9].then(() => 'settled'),
      new Promise((resolve) => setTimeout(resolve, 100, 'waiting')),
    ])
    expect(ninth, 'block 9 has signatures in the held batch').to.equal('waiting')
    expect(log).to.deep.equal(['verify', 'verify'])
    release()
    await Promise.all([checks[9], checks[11]])
    expect(await errorCode(() => checks[10])).to.equal('BAD_SIGNATURE')
    expect(await checks[10].catch((err: Error) => err.message)).to.match(/^block 11, tx #5 /)
  })

  it('hands the next run to the node, its signatures verifying, before the run before it is done', async () => {
    const blocks = await chain(15, 8)
    const log: string[] = []
    const { watched, release } = watchedCrypto(env.platform.crypto, log)
    release()
    const { platform, clock } = drivenPlatform({ ...env.platform, crypto: watched }, genesis)
    clock.set(slotStart(genesis, 30))
    const node = createNode({ genesis, storeName: `pipeline-${Date.now()}` }, platform)
    await node.start()
    try {
      const intake = {
        receiveBlocks: (run: Block[], options?: object) =>
          node.receiveBlocks(run, options).finally(() => log.push('done')),
      }
      async function* runs(): AsyncGenerator<Block[]> {
        for (let i = 0; i < blocks.length; i += 5) yield blocks.slice(i, i + 5)
      }
      expect(await receiveRuns(intake, runs())).to.equal(15)
      expect(node.getState().tip.index).to.equal(15)
      expect(log.indexOf('done'), 'the second run verifies before the first is done').to.be.greaterThan(1)
      expect(log.filter((entry) => entry === 'verify')).to.have.length(3)
    } finally {
      await node.stop()
    }
  })

  it('stops at a run with a bad signature, keeping the valid blocks before it and nothing after', async () => {
    const blocks = await chain(15, 8, { block: 7, tx: 3 })
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    clock.set(slotStart(genesis, 30))
    const node = createNode({ genesis, storeName: `pipeline-bad-${Date.now()}` }, platform)
    await node.start()
    try {
      async function* runs(): AsyncGenerator<Block[]> {
        for (let i = 0; i < blocks.length; i += 5) yield blocks.slice(i, i + 5)
      }
      expect(await errorCode(() => receiveRuns(node, runs()))).to.equal('BAD_SIGNATURE')
      // Blocks 1–7 are valid; block 8 (blocks[7]) is not; the third run, handed over early, has no parent.
      expect(node.getState().tip.index).to.equal(7)
    } finally {
      await node.stop()
    }
  })
})
