// A network simulator: N real pp-nodes in one process over real libp2p (loopback TCP), one driven
// clock, injected latency, loss, partitions and crash/restart, and the Ouroboros properties measured.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { nodePlatform } from '../platform/node/index.ts'
import { libp2pNetwork } from '../platform/node/network.ts'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { makeDevnet } from '../src/devnet.ts'
import { hash, toHex } from '../src/encoding/hash.ts'
import type { Genesis } from '../src/genesis.ts'
import { addressOf } from '../src/ledger/address.ts'
import type { Libp2pNetwork } from '../src/net/chain-network.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { type AdversaryCounts, attachAdversary } from './adversary.ts'

/** What to simulate. */
export interface SimulationOptions {
  nodes: number
  slots: number
  mode: 'praos' | 'bft'
  /** Per-hop gossip latency: uniform in [0, latencyMs]. */
  latencyMs: number
  /** Probability that a node drops a gossip message it receives. */
  loss: number
  /** Slots [from, to) during which the nodes are split into `groups` groups (node i in group i mod groups). */
  partition?: { from: number; to: number; groups: number }
  /** Slots [from, to) during which a `fraction` of the nodes is down; they restart from their own storage. */
  crash?: { from: number; to: number; fraction: number }
  seed: number
  /** Active slot coefficient for Praos (default 1/2 here: more blocks per simulated slot). */
  activeSlotCoeff?: string
  k?: number
  /** Fraction of the nodes (the last ones) that equivocate and send forged blocks (sim/adversary.ts). */
  adversary?: number
  /** Called once per slot with progress, for a progress bar. */
  onSlot?: (slot: number) => void
}

/** The measured properties. */
export interface SimulationReport {
  options: Omit<SimulationOptions, 'onSlot'>
  /**
   * Honest nodes' chains, pruned of their last k blocks, are prefixes of each other at the end, and
   * every block an honest node held k deep at any sample (every 10 slots) is on every final chain.
   */
  commonPrefix: {
    deepestRollback: number
    k: number
    disagreementAfterPruningK: number
    settledSamples: number
    settledLost: number
    holds: boolean
  }
  chainGrowth: { blocks: number; slots: number; blocksPerSlot: number; expected: number }
  chainQuality: Array<{
    producer: string
    blocks: number
    share: number
    stakeShare: number
    honest: boolean
  }>
  /** Share of the final chain made by honest producers, against their share of the stake. */
  honestQuality: { share: number; stakeShare: number }
  adversary?: AdversaryCounts & {
    nodes: number
    rejectedByHonest: number
    equivocationsSeenByHonest: number
    /** Honest nodes that ended up banning at least one adversary. */
    honestNodesBanningAdversaries: number
  }
  propagationMs: { p50: number; p95: number; max: number; blocks: number }
  oneChain: boolean
  /** Fault-free slots after the run until every node had the same tip. */
  coolDownSlots: number
  blocksLostAfterRestart: number
  seconds: number
  /** Wall time per simulated slot, start-up excluded: the simulator's cost as the network grows. */
  msPerSlot: number
  /** Peers each live node is connected to at the end. */
  peersPerNode: { min: number; avg: number; max: number }
}

/** mulberry32: a small seeded PRNG so faults repeat for a seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface SimNode {
  index: number
  adversarial: boolean
  dataDir: string
  node?: PPNode
  peerId?: string
  group: number
  down: boolean
  preCrashTip?: Uint8Array
  counts?: AdversaryCounts
}

/** Runs one simulation and measures common prefix, chain growth, chain quality and propagation. */
export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const started = performance.now()
  const random = prng(options.seed)
  let counter = 0
  const { genesis, producers } = await makeDevnet(
    {
      mode: options.mode,
      producers: options.nodes,
      genesisTime: 0,
      slotMs: 1000,
      k: options.k ?? 20,
      activeSlotCoeff: options.activeSlotCoeff ?? '1/2',
      random: (n) => hash(new TextEncoder().encode(`sim-${options.seed}-${counter++}`)).slice(0, n),
    },
    nodePlatform({ dataDir: tmpdir() }).crypto,
  )
  const clock = new ManualClock(slotStart(genesis, 0) - 1)
  const adversaries = Math.round(options.nodes * (options.adversary ?? 0))
  const sent: AdversaryCounts = { equivocations: 0, swappedBodies: 0, wrongLeaders: 0 }
  let rejectedByHonest = 0
  let equivocationsSeen = 0
  /** Blocks some honest node held k deep, sampled every 10 slots: all must be on every final chain. */
  const settled = new Set<string>()
  const sims: SimNode[] = await Promise.all(
    producers.map(async (_, index) => ({
      index,
      adversarial: index >= options.nodes - adversaries,
      dataDir: await mkdtemp(join(tmpdir(), `pp-sim-${index}-`)),
      group: 0,
      down: false,
    })),
  )
  const byPeer = new Map<string, SimNode>()
  const producedAt = new Map<string, number>()
  const arrivals = new Map<string, Set<number>>()
  const arrivedAt = new Map<string, number>()
  let deepestRollback = 0
  let lossNow = options.loss

  const partitioned = (a: SimNode, peer: string): boolean => {
    const b = byPeer.get(peer)
    return b !== undefined && b.group !== a.group
  }
  const start = async (sim: SimNode, bootstrap: string[]): Promise<void> => {
    const network = libp2pNetwork({
      conditions: {
        latencyMs: () => random() * options.latencyMs,
        drop: () => random() < lossNow,
        blocked: (peer) => partitioned(sim, peer),
      },
    })
    const node = createNode(
      {
        genesis,
        producer: producers[sim.index],
        network: {
          enableP2P: true,
          nodeId: `node-${sim.index}`,
          listenAddr: ['/ip4/127.0.0.1/tcp/0'],
          bootstrapPeers: bootstrap,
          allowPrivateAddresses: true,
          // Each node dials up to 8 peers and accepts up to 16: a bounded degree at any size.
          targetPeers: 8,
          maxPeers: 16,
        },
      },
      { ...nodePlatform({ dataDir: sim.dataDir }), clock },
      { network },
    )
    if (!sim.adversarial) {
      node.addEventListener('block:rejected', () => rejectedByHonest++)
      node.addEventListener('block:equivocation', () => equivocationsSeen++)
    }
    node.addEventListener('block:added', ({ detail: { block, produced } }) => {
      const id = toHex(block.hash)
      if (produced && !sim.adversarial) {
        producedAt.set(id, performance.now())
        producerOf.set(id, sim.index)
        producedIndex.set(id, block.header.index)
      }
      if (sim.adversarial) return
      const seen = arrivals.get(id) ?? new Set<number>()
      seen.add(sim.index)
      arrivals.set(id, seen)
      if (seen.size === honest().length && !arrivedAt.has(id)) arrivedAt.set(id, performance.now())
    })
    node.addEventListener('chain:reorg', ({ detail }) => {
      deepestRollback = Math.max(deepestRollback, detail.depth)
    })
    await node.start()
    if (sim.adversarial) {
      sim.counts ??= { equivocations: 0, swappedBodies: 0, wrongLeaders: 0 }
      attachAdversary(node, producers[sim.index], sim.counts)
    }
    sim.node = node
    sim.peerId = (node.network as Libp2pNetwork).libp2p!.peerId.toString()
    byPeer.set(sim.peerId, sim)
  }
  const addrOf = (sim: SimNode): string =>
    (sim.node!.network as Libp2pNetwork)
      .libp2p!.getMultiaddrs()
      .map(String)
      .find((a) => a.includes('/tcp/'))!

  // A connected start with no hub: node i bootstraps to node i−1 and to a random earlier node;
  // discovery adds peers up to each node's target degree.
  for (const sim of sims) {
    const earlier = sims[Math.floor(random() * sim.index)]
    await start(sim, sim.index === 0 ? [] : [...new Set([addrOf(sims[sim.index - 1]), addrOf(earlier)])])
  }
  await wait(1500) // gossip meshes form on heartbeats

  const slotsStarted = performance.now()
  const crashed = new Set<number>()
  if (options.crash) {
    const count = Math.max(1, Math.round(options.nodes * options.crash.fraction))
    const order = sims.map((s) => s.index).sort(() => random() - 0.5)
    for (const i of order.slice(0, count)) crashed.add(i)
  }
  const alive = () => sims.filter((s) => !s.down)
  const honest = () => alive().filter((s) => !s.adversarial)
  /**
   * Waits until every block produced so far has reached every live node of its producer's side of
   * any partition (the synchronous network model with a bound Δ), at most `maxMs`: with message
   * loss a block may never arrive, and the next block or anti-entropy repairs that.
   */
  const producerOf = new Map<string, number>()
  const producedIndex = new Map<string, number>()
  const settle = async (maxMs = 3000): Promise<void> => {
    const deadline = Date.now() + maxMs
    while (Date.now() < deadline) {
      // A block is settled once it reached every live node on its side, or once every such node
      // is at least as long (it lost a fork race there, and is kept as a side block).
      const pending = [...producerOf].some(([id, index]) => {
        const side = honest().filter((s) => s.group === sims[index].group)
        const height = producedIndex.get(id) ?? 0
        return (
          (arrivals.get(id)?.size ?? 0) < side.length &&
          side.some((s) => s.node!.getState().tip.index < height)
        )
      })
      if (!pending) return
      await wait(10)
    }
  }

  for (let slot = 0; slot < options.slots; slot++) {
    const p = options.partition
    if (p && (slot === p.from || slot === p.to)) {
      for (const sim of sims) sim.group = slot === p.from ? sim.index % p.groups : 0
      if (slot === p.from) {
        for (const sim of alive()) {
          const libp2p = (sim.node!.network as Libp2pNetwork).libp2p!
          for (const c of libp2p.getConnections())
            if (partitioned(sim, c.remotePeer.toString())) await c.close().catch(() => {})
        }
      } else {
        // Healed: each node dials the next live one (in another group), so no node becomes a hub.
        const live = alive()
        for (const [i, sim] of live.entries())
          await (sim.node!.network as Libp2pNetwork)
            .libp2p!.dial(multiaddr(addrOf(live[(i + 1) % live.length])))
            .catch(() => {})
      }
    }
    const c = options.crash
    if (c && slot === c.from) {
      for (const sim of sims.filter((s) => crashed.has(s.index))) {
        sim.preCrashTip = sim.node!.chainStore.tip.hash
        sim.down = true
        await sim.node!.stop()
      }
    }
    if (c && slot === c.to) {
      for (const sim of sims.filter((s) => crashed.has(s.index))) {
        sim.down = false
        await start(sim, [addrOf(sims.find((s) => !crashed.has(s.index))!)])
      }
    }
    await step(slot)
    if (slot % 10 === 9) {
      for (const sim of honest()) {
        const deep = sim.node!.chainStore.tip.index - genesis.k
        if (deep >= 1) settled.add(toHex((await sim.node!.chainStore.hashAt(deep))!))
      }
    }
    options.onSlot?.(slot)
  }
  // Cool-down: faults are over; honest nodes must converge on one chain within a bounded number of slots.
  lossNow = 0
  let coolDown = 0
  const tipsAgree = () =>
    honest().every((s) => s.node!.getState().tip.hash === honest()[0].node!.getState().tip.hash)
  while (!tipsAgree() && coolDown < 40) {
    await step(options.slots + coolDown)
    coolDown++
  }

  async function step(slot: number): Promise<void> {
    const handled = alive().map(
      (sim) =>
        new Promise<void>((resolve) => {
          const onSlot = (e: CustomEvent<{ slot: number }>): void => {
            if (e.detail.slot < slot) return
            sim.node!.removeEventListener('slot', onSlot)
            resolve()
          }
          sim.node!.addEventListener('slot', onSlot)
        }),
    )
    clock.set(slotStart(genesis, slot))
    await Promise.all(handled)
    await settle(options.loss > 0 || lossNow > 0 ? 1000 : 3000)
    // Blocks that have reached everyone they can no longer hold the next slot back.
    producerOf.clear()
  }

  const slotSeconds = (performance.now() - slotsStarted) / 1000
  const degrees = alive().map(
    (sim) =>
      new Set(
        (sim.node!.network as Libp2pNetwork).libp2p!.getConnections().map((c) => c.remotePeer.toString()),
      ).size,
  )
  const chains = await Promise.all(
    honest().map(async (s) =>
      (await s.node!.chainStore.getBlocks(1, s.node!.chainStore.tip.index)).map((b) => b),
    ),
  )
  const hashes = chains.map((chain) => chain.map((b) => toHex(b.hash)))
  const k = genesis.k
  let disagreement = 0
  for (const a of hashes) {
    for (const b of hashes) {
      const pruned = a.slice(0, Math.max(0, a.length - k))
      let common = 0
      while (common < pruned.length && pruned[common] === b[common]) common++
      disagreement = Math.max(disagreement, pruned.length - common)
    }
  }
  const finalChain = chains[0]
  const settledLost = [...settled].filter((id) => hashes.some((chain) => !chain.includes(id))).length
  const stake = totalStakeShares(genesis)
  const quality = producers.map((p, i) => {
    const address = addressOf(p.publicKey)
    const blocks = finalChain.filter((b) => addressOf(b.header.issuer) === address).length
    return {
      producer: address.slice(0, 14),
      blocks,
      share: blocks / Math.max(1, finalChain.length),
      stakeShare: stake.get(address) ?? 0,
      honest: !sims[i].adversarial,
    }
  })
  const honestOnly = quality.filter((q) => q.honest)
  const honestQuality = {
    share: honestOnly.reduce((sum, q) => sum + q.share, 0),
    stakeShare: honestOnly.reduce((sum, q) => sum + q.stakeShare, 0),
  }
  const adversaryIds = sims.filter((s) => s.adversarial).map((s) => s.peerId!)
  const banning = honest().filter((s) =>
    adversaryIds.some((id) => (s.node!.network as Libp2pNetwork).peerStanding(id).banned),
  ).length
  for (const sim of sims.filter((s) => s.counts)) {
    sent.equivocations += sim.counts!.equivocations
    sent.swappedBodies += sim.counts!.swappedBodies
    sent.wrongLeaders += sim.counts!.wrongLeaders
  }
  const delays = [...arrivedAt.entries()]
    .filter(([id]) => producedAt.has(id))
    .map(([id, at]) => at - producedAt.get(id)!)
  delays.sort((x, y) => x - y)
  const pct = (q: number) =>
    delays.length === 0 ? 0 : delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]
  let lost = 0
  for (const sim of sims)
    if (sim.preCrashTip && !(await sim.node!.chainStore.hasBlock(sim.preCrashTip))) lost++
  const tips = hashes.map((h) => h.at(-1))
  for (const sim of alive()) await sim.node!.stop()
  await Promise.all(sims.map((s) => rm(s.dataDir, { recursive: true, force: true })))
  const f = Number(genesis.activeSlotCoeff.numerator) / Number(genesis.activeSlotCoeff.denominator)
  const { onSlot: _, ...shown } = options
  return {
    options: shown,
    commonPrefix: {
      deepestRollback,
      k,
      disagreementAfterPruningK: disagreement,
      settledSamples: settled.size,
      settledLost,
      holds: disagreement === 0 && settledLost === 0,
    },
    chainGrowth: {
      blocks: finalChain.length,
      slots: options.slots,
      blocksPerSlot: finalChain.length / options.slots,
      expected: options.mode === 'praos' ? f : 1,
    },
    chainQuality: quality,
    honestQuality,
    ...(adversaries > 0 && {
      adversary: {
        nodes: adversaries,
        ...sent,
        rejectedByHonest,
        equivocationsSeenByHonest: equivocationsSeen,
        honestNodesBanningAdversaries: banning,
      },
    }),
    propagationMs: { p50: pct(0.5), p95: pct(0.95), max: delays.at(-1) ?? 0, blocks: delays.length },
    oneChain: tips.every((t) => t === tips[0]),
    coolDownSlots: coolDown,
    blocksLostAfterRestart: lost,
    seconds: (performance.now() - started) / 1000,
    msPerSlot: (slotSeconds * 1000) / (options.slots + coolDown),
    peersPerNode: {
      min: Math.min(...degrees),
      avg: degrees.reduce((a, b) => a + b, 0) / degrees.length,
      max: Math.max(...degrees),
    },
  }
}

function totalStakeShares(genesis: Genesis): Map<string, number> {
  const total = [...genesis.balances.values()].reduce((a, b) => a + b, 0n)
  return new Map([...genesis.balances].map(([a, b]) => [a, Number((b * 10_000n) / total) / 10_000]))
}
