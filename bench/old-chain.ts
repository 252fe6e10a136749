// A chain as old as the join benchmark asks: many empty blocks over a genesis of many funded
// accounts, written block by block through the chain store (every block valid, every state root
// real) into a LevelDB of its own, much faster than producing it slot by slot.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodePlatform } from '../platform/node/index.ts'
import { libp2pNetwork } from '../platform/node/network.ts'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { hash, toHex } from '../src/encoding/hash.ts'
import type { Genesis } from '../src/genesis.ts'
import { addressOf } from '../src/ledger/address.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { encodeBlock } from '../src/ledger/block.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { CHUNKS, encodeChunk, encodeManifest } from '../src/ledger/snapshot.ts'
import { createNode } from '../src/node.ts'
import { bftGenesis, nextBlock, testKeys } from '../test/support/chain-fixtures.ts'
import type { Figure } from './cases.ts'
import { netNode, tcpOf, tempPlatform, until } from './network-cases.ts'
import { storedBytes } from './scale-cases.ts'

/** Blocks adopted per store write. */
const BATCH = 1000

/**
 * Writes a chain of `blocks` empty blocks (one per slot, BFT, protocol version 2) over a genesis of
 * `accounts` funded accounts into `dataDir` (store "chain"); reports progress every BATCH blocks.
 */
export async function generateOldChain(
  dataDir: string,
  blocks: number,
  accounts: number,
  onProgress: (done: number) => void = () => {},
): Promise<Genesis> {
  const platform = nodePlatform({ dataDir })
  const [key] = await testKeys(1, platform.crypto, 'bench-old-chain')
  const balances: Record<string, string> = { [key.address]: '1000000000' }
  for (let i = 0; i < accounts - 1; i++)
    balances[addressOf(hash(new Uint8Array(new Uint32Array([i]).buffer)))] = '1000'
  const genesis = bftGenesis([key], { protocolVersion: 2, k: 10, genesisTime: 0, slotMs: 1000, balances }, 1)
  const chain = await ChainStore.open(await platform.openStore('chain'), genesis)
  let state = genesisState(genesis)
  for (let from = 0; from < blocks; from += BATCH) {
    const run = []
    for (let b = from; b < Math.min(blocks, from + BATCH); b++) {
      const block = await nextBlock(state, [], key, platform.crypto, b, { genesis })
      state = applyBlock(state, block, genesis)
      run.push(block)
    }
    await chain.adopt(run)
    onProgress(chain.tip.index)
  }
  await chain.close()
  return genesis
}

/** A Node peer serving an old chain over TCP and WebSocket, and the checkpoint a joiner is given. */
export interface OldChainSource {
  genesis: Genesis
  ws: string
  tcp: string
  checkpoint: string
  tip: number
  /** Bytes a checkpoint joiner downloads: the snapshot (manifest and chunks) and the blocks after it. */
  downloadBytes: number
  stop(): Promise<void>
}

/** Generates an old chain (progress on stderr) and serves it from a Node peer. */
export async function serveOldChain(blocks: number, accounts: number): Promise<OldChainSource> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pp-bench-old-chain-'))
  const began = performance.now()
  const genesis = await generateOldChain(dataDir, blocks, accounts, (done) => {
    if (done % 100_000 === 0 || done === blocks)
      console.error(
        `bench: old chain ${done}/${blocks} blocks (${((performance.now() - began) / 1000).toFixed(0)} s)`,
      )
  })
  const platform = nodePlatform({ dataDir })
  const clock = new ManualClock(slotStart(genesis, blocks + 1))
  const server = netNode(genesis, { ...platform, clock }, [], undefined, [
    '/ip4/127.0.0.1/tcp/0',
    '/ip4/127.0.0.1/tcp/0/ws',
  ])
  await server.start()
  const point = server.chainStore.latestSnapshot!
  const served = server.chainStore.snapshotAt(point.hash)!
  let downloadBytes = encodeManifest(served, (await server.chainStore.getBlockBytes(point.hash))!).length
  for (let i = 0; i < CHUNKS; i++) downloadBytes += encodeChunk(served, i).length
  for (const block of await server.chainStore.getBlocks(point.index + 1, blocks - point.index))
    downloadBytes += encodeBlock(block).length
  const addrs = (server.network as { libp2p?: { getMultiaddrs(): unknown[] } })
    .libp2p!.getMultiaddrs()
    .map(String)
  return {
    genesis,
    ws: addrs.find((a) => a.includes('/ws'))!,
    tcp: tcpOf(server),
    checkpoint: `${point.index}:${toHex(point.hash)}`,
    tip: blocks,
    downloadBytes,
    stop: async () => {
      await server.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** A new Node node (LevelDB) joins the old chain from its checkpoint: time to the snapshot and to the tip, bytes stored. */
export async function nodeOldChainJoin(source: OldChainSource): Promise<Figure[]> {
  const target = await tempPlatform()
  try {
    const node = createNode(
      {
        genesis: source.genesis,
        checkpoint: source.checkpoint,
        network: { enableP2P: true, bootstrapPeers: [source.tcp], allowPrivateAddresses: true },
      },
      target.platform,
      { network: libp2pNetwork() },
    )
    let chunksIn = 0
    node.addEventListener('snapshot:progress', ({ detail }) => {
      if (detail.done === detail.total) chunksIn = (performance.now() - began) / 1000
    })
    const began = performance.now()
    await node.start()
    const snapshotIn = (performance.now() - began) / 1000
    await until(() => node.getState().tip.index >= source.tip, 600_000, 'the joiner to reach the tip')
    const toTip = (performance.now() - began) / 1000
    await node.stop()
    const stored = await storedBytes(await target.platform.openStore('chain'))
    return oldChainFigures(source, 'Node (LevelDB) ← Node (TCP)', { snapshotIn, chunksIn, toTip, stored })
  } finally {
    await target.dispose()
  }
}

/** The join figures of one joiner, named after the chain's size and the link. */
export function oldChainFigures(
  source: OldChainSource,
  link: string,
  m: { snapshotIn: number; chunksIn: number; toTip: number; stored: number },
): Figure[] {
  const where = `${source.tip.toLocaleString('en')} blocks, ${source.genesis.balances.size.toLocaleString('en')} accounts, ${link}`
  const browser = !link.startsWith('Node (')
  return [
    {
      name: `join an old chain from a checkpoint: all chunks fetched and checked, ${where}`,
      value: m.chunksIn,
      unit: 's',
    },
    {
      name: `join an old chain from a checkpoint: snapshot installed, ${where}`,
      value: m.snapshotIn,
      unit: 's',
    },
    {
      name: `join an old chain from a checkpoint: open → following the tip, ${where}`,
      value: m.toTip,
      unit: 's',
      anchor: { value: browser ? 30 : 15, what: `goal ≤ ${browser ? 30 : 15} s` },
    },
    {
      name: `join an old chain from a checkpoint: downloaded, ${where}`,
      value: source.downloadBytes / 2 ** 20,
      unit: 'MiB',
    },
    {
      name: `join an old chain from a checkpoint: stored, ${where}`,
      value: m.stored / 2 ** 20,
      unit: 'MiB',
      ...(browser && { anchor: { value: 50, what: 'goal ≤ 50 MB' } }),
    },
  ]
}
