// Joining a chain with many accounts: from a checkpoint (snapshot sync) against from genesis (full
// sync), a new Node node and one source node over loopback TCP, each on a LevelDB of its own.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodePlatform } from '../platform/node/index.ts'
import { libp2pNetwork } from '../platform/node/network.ts'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { hash } from '../src/encoding/hash.ts'
import { addressOf } from '../src/ledger/address.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import type { Checkpoint } from '../src/ledger/snapshot.ts'
import { CHUNKS, encodeChunk, encodeManifest } from '../src/ledger/snapshot.ts'
import { createNode, type PPNode } from '../src/node.ts'
import type { Platform, Store } from '../src/ports.ts'
import { bftGenesis, nextBlock, testKeys } from '../test/support/chain-fixtures.ts'
import type { Figure } from './cases.ts'

const seconds = (start: number): number => (performance.now() - start) / 1000

/** Join figures for a chain of `blocks` empty blocks over a genesis of `accounts` funded accounts. */
export async function snapshotJoin(accounts: number, blocks: number): Promise<Figure[]> {
  const dirs: string[] = []
  const platform = async (): Promise<Platform> => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-bench-snapshot-'))
    dirs.push(dir)
    return nodePlatform({ dataDir: dir })
  }
  const nodes: PPNode[] = []
  try {
    const source = await platform()
    const [key] = await testKeys(1, source.crypto, 'bench-snapshot')
    const balances: Record<string, string> = { [key.address]: '1000000000' }
    for (let i = 0; i < accounts - 1; i++)
      balances[addressOf(hash(new Uint8Array(new Uint32Array([i]).buffer)))] = '1000'
    const genesis = bftGenesis([key], { protocolVersion: 2, k: 10, genesisTime: 0, balances }, 1)
    let state = genesisState(genesis)
    const chain = await ChainStore.open(await source.openStore('chain'), genesis)
    for (let b = 0; b < blocks; b++) {
      const block = await nextBlock(state, [], key, source.crypto, b, { genesis })
      await chain.adopt([block])
      state = applyBlock(state, block, genesis)
    }
    await chain.close()
    const clock = new ManualClock(slotStart(genesis, blocks + 1))
    const start = (p: Platform, bootstrap: string[], checkpoint?: Checkpoint): PPNode => {
      const node = createNode(
        {
          genesis,
          ...(checkpoint && { checkpoint }),
          network: {
            enableP2P: true,
            listenAddr: ['/ip4/127.0.0.1/tcp/0'],
            bootstrapPeers: bootstrap,
            allowPrivateAddresses: true,
          },
        },
        { ...p, clock },
        { network: libp2pNetwork() },
      )
      nodes.push(node)
      return node
    }
    const server = start(source, [])
    await server.start()
    const addr = (server.network as { libp2p?: { getMultiaddrs(): unknown[] } })
      .libp2p!.getMultiaddrs()
      .map(String)[0]
    const point = server.chainStore.latestSnapshot!
    const served = server.chainStore.snapshotAt(point.hash)!
    let downloaded = encodeManifest(served, (await server.chainStore.getBlockBytes(point.hash))!).length
    for (let i = 0; i < CHUNKS; i++) downloaded += encodeChunk(served, i).length

    const timeToTip = async (node: PPNode): Promise<{ started: number; tip: number }> => {
      const began = performance.now()
      await node.start()
      const started = seconds(began)
      while (node.getState().tip.index < blocks) await new Promise((r) => setTimeout(r, 5))
      return { started, tip: seconds(began) }
    }
    const bySnapshot = await platform()
    const joiner = start(bySnapshot, [addr], point)
    const snapshot = await timeToTip(joiner)
    await joiner.stop()
    const fromGenesis = await platform()
    const replayer = start(fromGenesis, [addr])
    const full = await timeToTip(replayer)
    await replayer.stop()
    const where = `${accounts / 1000}k accounts, ${blocks} blocks, Node ← Node (TCP)`
    return [
      { name: `join from a checkpoint: snapshot in, ${where}`, value: snapshot.started, unit: 's' },
      { name: `join from a checkpoint: open → tip, ${where}`, value: snapshot.tip, unit: 's' },
      {
        name: `join from a checkpoint: snapshot downloaded, ${where}`,
        value: downloaded / 1024,
        unit: 'KiB',
      },
      {
        name: `join from a checkpoint: stored, ${where}`,
        value: (await storedBytes(bySnapshot)) / 1024,
        unit: 'KiB',
      },
      { name: `join from genesis (full sync): open → tip, ${where}`, value: full.tip, unit: 's' },
      {
        name: `join from genesis (full sync): the same for 1,000,000 blocks at the rate measured, ${where}`,
        value: (full.tip * 1_000_000) / blocks,
        unit: 's (extrapolated)',
      },
      {
        name: `join from genesis (full sync): stored, ${where}`,
        value: (await storedBytes(fromGenesis)) / 1024,
        unit: 'KiB',
      },
    ]
  } finally {
    for (const node of nodes) await node.stop().catch(() => {})
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  }
}

/** Bytes of keys and values in a platform's chain store (opened and closed here). */
async function storedBytes(platform: Platform): Promise<number> {
  const store: Store = await platform.openStore('chain')
  let bytes = 0
  for await (const [key, value] of store.entries()) bytes += key.length + value.length
  await store.close()
  return bytes
}
