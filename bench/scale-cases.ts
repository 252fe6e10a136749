// The ledger at scale, the same in Node and in Chromium: a genesis with many funded accounts, blocks
// of transfers to random ones, and what import, intake, reopen and an epoch boundary cost there.
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { hash, toHex } from '../src/encoding/hash.ts'
import { type Genesis, genesisHash, genesisToJson, parseGenesis } from '../src/genesis.ts'
import { addressOf } from '../src/ledger/address.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { decodeBlock, encodeBlock } from '../src/ledger/block.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { verifyBlocksSignatures } from '../src/ledger/verify-signatures.ts'
import { createNode } from '../src/node.ts'
import type { Platform, Store } from '../src/ports.ts'
import { nextBlock, testKeys, transfer } from '../test/support/chain-fixtures.ts'
import type { Figure } from './cases.ts'

const TXS = 100
const EPOCH = 10
const RUN = 10
const seconds = (start: number): number => (performance.now() - start) / 1000

/** A BFT genesis with `accounts` funded addresses, 100 of them spendable test keys. */
async function scaleChain(platform: Platform, accounts: number, blocks: number) {
  const keys = await testKeys(101, platform.crypto, 'scale')
  const balances: Record<string, string> = {}
  for (const key of keys) balances[key.address] = '1000000000'
  const fake = new Uint8Array(32)
  const others: string[] = []
  for (let i = 0; others.length < accounts - keys.length; i++) {
    new DataView(fake.buffer).setUint32(0, i)
    const address = addressOf(hash(fake))
    balances[address] = '1000'
    others.push(address)
  }
  const genesis: Genesis = parseGenesis({
    chainId: 'pp-scale',
    genesisTime: 0,
    slotMs: 1000,
    epochLength: EPOCH,
    k: 10,
    activeSlotCoeff: '1/2',
    maxBlockBytes: 4 * 1024 * 1024,
    maxTxPerBlock: TXS,
    mode: 'bft',
    protocolVersion: 1,
    balances,
    bftKeys: [toHex(keys[0].publicKey)],
  })
  let state = genesisState(genesis)
  const encoded: Uint8Array[] = []
  let seed = 1
  for (let b = 0; b < blocks; b++) {
    const txs = await Promise.all(
      Array.from({ length: TXS }, (_, i) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31
        const from = keys[1 + i]
        return transfer(from, others[seed % others.length], 1n, b, platform.crypto, { chainId: 'pp-scale' })
      }),
    )
    const block = await nextBlock(state, txs, keys[0], platform.crypto)
    state = applyBlock(state, block, genesis)
    encoded.push(encodeBlock(block))
  }
  return { genesis, encoded }
}

/**
 * Figures for one size: import rate (decode, one signature batch per run, apply, commit), the
 * node's own intake (`receiveBlocks`, as sync calls it), reopen time, the slowest epoch-boundary
 * block against the median block, and memory after import (`memory()`: RSS in Node, JS heap in Chromium).
 */
export async function scaleFigures(
  platform: Platform,
  accounts: number,
  blocks: number,
  memory: () => number | undefined,
): Promise<Figure[]> {
  const size = accounts >= 1e6 ? `${accounts / 1e6}M` : `${accounts / 1e3}k`
  const where = `${size} accounts, ${platform.name}`
  const { genesis, encoded } = await scaleChain(platform, accounts, blocks)
  // What a restart pays before the store opens: parsing and hashing the genesis file.
  let start = performance.now()
  genesisHash(parseGenesis(JSON.parse(JSON.stringify(genesisToJson(genesis)))))
  const genesisLoad = seconds(start) * 1000
  const name = `pp-scale-${accounts}-${Date.now()}`
  let chain = await ChainStore.open(await platform.openStore(name), genesis)
  const perBlock: number[] = []
  start = performance.now()
  for (let i = 0; i < encoded.length; i += RUN) {
    const run = encoded.slice(i, i + RUN).map(decodeBlock)
    await verifyBlocksSignatures(run, platform.crypto)
    for (const block of run) {
      const t = performance.now()
      await chain.adopt([block])
      perBlock.push(performance.now() - t)
    }
  }
  const importRate = blocks / seconds(start)
  const resident = memory()
  await chain.close()
  start = performance.now()
  chain = await ChainStore.open(await platform.openStore(name), genesis)
  const reopen = seconds(start) * 1000
  await chain.close()
  const wholeHistory = await storedBytes(await platform.openStore(name))
  // The same blocks into a store that keeps one epoch of history (as a tab keeps a few).
  const pruned = await ChainStore.open(await platform.openStore(`${name}-pruned`), genesis, { keepEpochs: 1 })
  for (const bytes of encoded) await pruned.adopt([decodeBlock(bytes)])
  await pruned.close()
  const prunedHistory = await storedBytes(await platform.openStore(`${name}-pruned`))
  // Epoch boundaries: the first block of each epoch (slot 0 is block 1, one block per slot).
  const boundary = perBlock.filter((_, i) => i % EPOCH === EPOCH - 1 && i > 0)
  const others = perBlock.filter((_, i) => !(i % EPOCH === EPOCH - 1 && i > 0)).sort((a, b) => a - b)
  // The node's intake path on a fresh store.
  const clock = new ManualClock(slotStart(genesis, blocks + 10))
  const node = createNode({ genesis, storeName: `${name}-node` }, { ...platform, clock })
  await node.start()
  start = performance.now()
  for (let i = 0; i < encoded.length; i += RUN)
    await node.receiveBlocks(encoded.slice(i, i + RUN).map(decodeBlock))
  const intakeRate = blocks / seconds(start)
  await node.stop()
  const figures: Figure[] = [
    { name: `import, ${TXS} transfers/block, ${where}`, value: importRate, unit: 'blocks/s' },
    { name: `node intake (receiveBlocks), ${where}`, value: intakeRate, unit: 'blocks/s' },
    { name: `load the genesis file (parse + hash), ${where}`, value: genesisLoad, unit: 'ms' },
    { name: `reopen the chain store, ${where}`, value: reopen, unit: 'ms' },
    { name: `epoch-boundary block (slowest), ${where}`, value: Math.max(...boundary), unit: 'ms' },
    { name: `other blocks (median), ${where}`, value: others[Math.floor(others.length / 2)], unit: 'ms' },
    {
      name: `stored after ${blocks} blocks, whole history, ${where}`,
      value: wholeHistory / 1024,
      unit: 'KiB',
    },
    {
      name: `stored after ${blocks} blocks, keeping 1 epoch (${EPOCH} slots), ${where}`,
      value: prunedHistory / 1024,
      unit: 'KiB',
    },
  ]
  if (resident !== undefined)
    figures.push({
      name: `memory after import, ${where}`,
      value: resident / 2 ** 20,
      unit: platform.name === 'node' ? 'MiB RSS' : 'MiB heap',
    })
  return figures
}

/** Bytes of keys and values in a store (closed afterwards): what the chain occupies, before the engine's overhead. */
export async function storedBytes(store: Store): Promise<number> {
  let bytes = 0
  for await (const [key, value] of store.entries()) bytes += key.length + value.length
  await store.close()
  return bytes
}
