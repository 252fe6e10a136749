// What refusing each kind of bad input costs the node: the work an attacker can make it do per message.
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { type Block, decodeBlock, encodeBlock } from '../src/ledger/block.ts'
import type { Transaction } from '../src/ledger/transaction.ts'
import { createNode } from '../src/node.ts'
import type { Platform } from '../src/ports.ts'
import { bftGenesis, nextBlock, testKeys, transfer } from '../test/support/chain-fixtures.ts'
import type { Figure } from './cases.ts'

/** Microseconds per refused input, for each class, through the node's own intake (no network). */
export async function rejectionCosts(platform: Platform, n: number): Promise<Figure[]> {
  const keys = await testKeys(3, platform.crypto, 'bench-reject')
  const genesis = bftGenesis(keys, { genesisTime: 0 }, 1)
  const clock = new ManualClock(slotStart(genesis, 1000))
  const node = createNode({ genesis, storeName: `bench-reject-${Date.now()}` }, { ...platform, clock })
  await node.start()
  const state = node.chainStore.state
  const tx = (i: number, nonce = 0) =>
    transfer(keys[1], keys[2].address, BigInt(i + 1), nonce, platform.crypto)
  const blocks = (make: (i: number) => Promise<Block>) =>
    Promise.all(Array.from({ length: n }, (_, i) => make(i)))
  const stranger = await blocks(async (i) => nextBlock(state, [await tx(i)], keys[2], platform.crypto, 1))
  const badSignature = stranger.map((b) => ({ ...b, signature: new Uint8Array(64).fill(3) }))
  const honest = await blocks(async (i) => nextBlock(state, [await tx(i)], keys[0], platform.crypto, 1))
  const swapped = honest.map((b, i) =>
    decodeBlock(
      encodeBlock({ header: b.header, signature: b.signature, txs: [stranger[(i + 1) % n].txs[0]] }),
    ),
  )
  const future = await blocks(async (i) =>
    nextBlock(state, [await tx(i)], keys[0], platform.crypto, 5000 + i),
  )
  const garbage = Array.from({ length: n }, (_, i) =>
    Uint8Array.from({ length: 64 }, (_, j) => (i * 7 + j) & 255),
  )
  const txs = await Promise.all(Array.from({ length: n }, (_, i) => tx(i, 5)))
  const forged: Transaction[] = (await Promise.all(Array.from({ length: n }, (_, i) => tx(i)))).map((t) => ({
    ...t,
    signature: new Uint8Array(64).fill(5),
  }))
  const time = async (what: string, each: (i: number) => Promise<unknown>): Promise<Figure> => {
    const start = performance.now()
    for (let i = 0; i < n; i++) await each(i).catch(() => {})
    return {
      name: `refusing ${what} (${platform.name})`,
      value: ((performance.now() - start) * 1000) / n,
      unit: 'µs each',
    }
  }
  const figures = [
    await time('undecodable block bytes', async (i) => decodeBlock(garbage[i])),
    await time('a block far in the future', (i) => node.receiveBlock(future[i], { from: 'bench' })),
    await time('a block with a swapped body', (i) => node.receiveBlock(swapped[i], { from: 'bench' })),
    await time('a block with a bad signature', (i) => node.receiveBlock(badSignature[i], { from: 'bench' })),
    await time('a block from a key that leads no slot', (i) =>
      node.receiveBlock(stranger[i], { from: 'bench' }),
    ),
    await time('a transaction with a bad nonce', (i) => node.submitTransaction(txs[i], { broadcast: false })),
    await time('a transaction with a bad signature', (i) =>
      node.submitTransaction(forged[i], { broadcast: false }),
    ),
  ]
  await node.stop()
  return figures
}
