// Benchmark cases that run the same in Node and in Chromium: each takes a platform and returns figures.
import { checkLeadership } from '../src/consensus/leader-check.ts'
import { vrfProve, vrfPublicKey, vrfVerify } from '../src/crypto/vrf.ts'
import { makeDevnet } from '../src/devnet.ts'
import { hash } from '../src/encoding/hash.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { type Block, decodeBlock, encodeBlock } from '../src/ledger/block.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { verifyBlocksSignatures } from '../src/ledger/verify-signatures.ts'
import { encodeBlocks } from '../src/net/messages.ts'
import { decodeRun, receiveRuns } from '../src/net/receive-runs.ts'
import { createNode } from '../src/node.ts'
import type { Platform } from '../src/ports.ts'
import { bftGenesis, nextBlock, testKeys, transfer } from '../test/support/chain-fixtures.ts'

/** One measured figure. */
export interface Figure {
  name: string
  value: number
  unit: string
  /** A physical limit or anchor to compare with, and what it is. */
  anchor?: { value: number; what: string }
}

const seconds = (start: number): number => (performance.now() - start) / 1000
/** Blocks imported together, as sync hands them to the node. */
const IMPORT_RUN = 10

/** Raw ed25519 verifications per second through the platform crypto, batched: the best of three batches (the limit, not a lucky or unlucky run). */
export async function verifyRate(platform: Platform, n: number): Promise<Figure> {
  const keys = await testKeys(8, platform.crypto, 'bench')
  const items = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const message = hash(new TextEncoder().encode(`m${i}`))
      const key = keys[i % keys.length]
      return { publicKey: key.publicKey, message, signature: await platform.crypto.sign(key.secret, message) }
    }),
  )
  // Warmed up first: a browser's verification workers start, and import keys, on first use.
  await platform.crypto.verifyBatch(items.slice(0, 100))
  let best = 0
  for (let round = 0; round < 3; round++) {
    const start = performance.now()
    const results = await platform.crypto.verifyBatch(items)
    if (!results.every(Boolean)) throw new Error('a benchmark signature did not verify')
    best = Math.max(best, n / seconds(start))
  }
  return { name: `ed25519 verify (${platform.name} crypto, batch of ${n})`, value: best, unit: 'verify/s' }
}

/** Builds `count` signed blocks of `txs` transfers each on a BFT test chain. */
async function makeBlocks(platform: Platform, count: number, txs: number) {
  const keys = await testKeys(Math.max(2, Math.min(txs, 50) + 1), platform.crypto, 'bench-chain')
  const genesis = bftGenesis(keys, { maxTxPerBlock: Math.max(txs, 1), maxBlockBytes: 4 * 1024 * 1024, k: 10 })
  let state = genesisState(genesis)
  const nonces = new Map<string, number>()
  const blocks: Uint8Array[] = []
  for (let b = 0; b < count; b++) {
    const body = await Promise.all(
      Array.from({ length: txs }, (_, i) => {
        const from = keys[1 + (i % (keys.length - 1))]
        const nonce = (nonces.get(from.address) ?? 0) + Math.floor(i / (keys.length - 1))
        return transfer(from, keys[0].address, 1n, nonce, platform.crypto)
      }),
    )
    for (const tx of body)
      nonces.set(tx.body.from, Math.max(nonces.get(tx.body.from) ?? 0, tx.body.nonce + 1))
    const block: Block = await nextBlock(state, body, keys[0], platform.crypto)
    state = applyBlock(state, block, genesis)
    blocks.push(encodeBlock(block))
  }
  return { genesis, blocks }
}

/** Full block import: decode, verify every signature, apply, commit to real storage, in runs of 10 blocks. */
export async function importRate(platform: Platform, count: number, txs: number): Promise<Figure[]> {
  const { genesis, blocks } = await makeBlocks(platform, count, txs)
  const store = await platform.openStore(`bench-import-${txs}-${Date.now()}`)
  const chain = await ChainStore.open(store, genesis)
  // The node's import path for a run of blocks (sync): decode, one signature batch, one atomic write.
  const start = performance.now()
  for (let i = 0; i < blocks.length; i += IMPORT_RUN) {
    const run = blocks.slice(i, i + IMPORT_RUN).map(decodeBlock)
    await verifyBlocksSignatures(run, platform.crypto)
    await chain.adopt(run)
  }
  const s = seconds(start)
  await store.clear()
  await chain.close()
  const bytes = blocks.reduce((n, b) => n + b.length, 0) / blocks.length
  return [
    { name: `block import, ${txs} transfers/block (${platform.name})`, value: count / s, unit: 'blocks/s' },
    {
      name: `block import, ${txs} transfers/block (${platform.name})`,
      value: (count * txs) / s,
      unit: 'tx/s',
    },
    { name: `stored block size, ${txs} transfers`, value: Math.round(bytes), unit: 'bytes' },
  ]
}

/** Blocks per sync response, as chain sync fetches and hands them to the node. */
const SYNC_RUN = 100

/**
 * Block import through the node's own intake, as sync drives it (`receiveRuns`): each response's
 * bytes are decoded (size limit, schema, hashes) and handed to `receiveBlocks`, which checks
 * contents, verifies every signature, validates leadership and ledger rules and writes the run.
 * The best of three imports, each into a new node and store, as raw verify/s is the best of three batches.
 */
export async function nodeImportRate(platform: Platform, count: number, txs: number): Promise<Figure[]> {
  const { genesis, blocks } = await makeBlocks(platform, count, txs)
  const responses: Uint8Array[] = []
  for (let i = 0; i < blocks.length; i += SYNC_RUN)
    responses.push(encodeBlocks(blocks.slice(i, i + SYNC_RUN)))
  // As chain sync does: each response is decoded (in short slices) and handed on in order, the
  // next one's signatures verifying while the one before is applied.
  async function* runs(): AsyncGenerator<Block[]> {
    for (const response of responses) yield await decodeRun(response)
  }
  let best = Number.POSITIVE_INFINITY
  for (let round = 0; round < 3; round++) {
    const node = createNode({ genesis, storeName: `bench-intake-${txs}-${Date.now()}-${round}` }, platform)
    await node.start()
    const start = performance.now()
    await receiveRuns(node, runs())
    best = Math.min(best, seconds(start))
    if (node.getState().tip.index !== count)
      throw new Error(`imported ${node.getState().tip.index} of ${count}`)
    await node.stop()
  }
  const name = `node intake (sync path), ${txs} transfers/block (${platform.name})`
  return [
    { name, value: count / best, unit: 'blocks/s' },
    { name, value: (count * txs) / best, unit: 'tx/s' },
  ]
}

/** VRF prove and verify per second, and the cost of one Praos leader check. */
export async function vrfRates(platform: Platform, n: number): Promise<Figure[]> {
  const secret = hash(new TextEncoder().encode('bench-vrf'))
  const publicKey = vrfPublicKey(secret)
  let start = performance.now()
  const proofs = Array.from({ length: n }, (_, i) => vrfProve(secret, Uint8Array.of(i & 255, i >> 8)))
  const prove = n / seconds(start)
  start = performance.now()
  for (let i = 0; i < n; i++)
    if (!vrfVerify(publicKey, Uint8Array.of(i & 255, i >> 8), proofs[i].proof)) throw new Error('VRF')
  const verify = n / seconds(start)
  const { genesis, producers } = await makeDevnet({ mode: 'praos', genesisTime: 0 }, platform.crypto)
  const state = genesisState(genesis)
  start = performance.now()
  for (let slot = 0; slot < n; slot++) checkLeadership(state, slot, producers[0], genesis)
  const check = (seconds(start) / n) * 1000
  return [
    { name: `VRF prove (${platform.name})`, value: prove, unit: 'proofs/s' },
    { name: `VRF verify (${platform.name})`, value: verify, unit: 'verifies/s' },
    { name: `Praos leader check per slot (${platform.name})`, value: check, unit: 'ms' },
  ]
}
