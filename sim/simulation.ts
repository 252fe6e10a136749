// A network simulator: N real pp-nodes over real libp2p (loopback TCP), spread over worker threads
// (sim/sim-worker.ts) that share one driven clock; injected latency, loss, partitions and
// crash/restart, and the Ouroboros properties measured.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { nodeCrypto } from '../platform/node/crypto.ts'
import { makeDevnet } from '../src/devnet.ts'
import { hash } from '../src/encoding/hash.ts'
import type { Genesis } from '../src/genesis.ts'
import { addressOf } from '../src/ledger/address.ts'
import type { AdversaryCounts } from './adversary.ts'
import { prng } from './prng.ts'
import type { ToCoordinator, ToWorker, WorkerSetup } from './sim-messages.ts'

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
  /**
   * Worker threads the nodes are spread over (default: one per 10 nodes, at most one per core):
   * the simulated nodes share the machine's cores as real nodes would have their own.
   */
  workers?: number
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
  /** Restarted nodes whose store, reopened, lacked their tip from before the stop (a tip that later loses a fork race and is pruned k deep is not lost). */
  blocksLostAfterRestart: number
  seconds: number
  /** Wall time per simulated slot, start-up excluded: the simulator's cost as the network grows. */
  msPerSlot: number
  /** Peers each live node is connected to at the end. */
  peersPerNode: { min: number; avg: number; max: number }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))
const WORKER = new URL('./sim-worker.ts', import.meta.url)

/** A worker thread and the replies it owes, matched by message type in order. */
class SimWorker {
  readonly worker: Worker
  private readonly waiting = new Map<string, Array<(m: ToCoordinator) => void>>()

  constructor(setup: WorkerSetup, onEvent: (m: ToCoordinator) => void, onError: (err: Error) => void) {
    this.worker = new Worker(WORKER, { workerData: setup })
    this.worker.on('error', onError)
    this.worker.on('message', (m: ToCoordinator) => {
      if (m.type === 'error') return onError(new Error(`simulator worker: ${m.message}`))
      const next = this.waiting.get(m.type)?.shift()
      if (next) next(m)
      else onEvent(m)
    })
  }

  /** Sends a message; with `reply`, resolves with the worker's next message of that type. */
  ask<T extends ToCoordinator['type']>(
    message: ToWorker,
    reply: T,
  ): Promise<Extract<ToCoordinator, { type: T }>> {
    const answer = new Promise<Extract<ToCoordinator, { type: T }>>((resolve) => {
      const list = this.waiting.get(reply) ?? []
      list.push(resolve as (m: ToCoordinator) => void)
      this.waiting.set(reply, list)
    })
    this.worker.postMessage(message)
    return answer
  }

  tell(message: ToWorker): void {
    this.worker.postMessage(message)
  }
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
    nodeCrypto,
  )
  const adversaries = Math.round(options.nodes * (options.adversary ?? 0))
  const adversarial = (index: number) => index >= options.nodes - adversaries
  const workerCount = Math.max(
    1,
    Math.min(
      options.workers ?? Math.min(availableParallelism(), Math.ceil(options.nodes / 10)),
      options.nodes,
    ),
  )
  /** Node i runs in worker i mod workers. */
  const ownerOf = (index: number) => workers[index % workerCount]

  const producedAt = new Map<string, number>()
  const producerOf = new Map<string, number>()
  const producedIndex = new Map<string, number>()
  const arrivals = new Map<string, Set<number>>()
  const arrivedAt = new Map<string, number>()
  const tips = new Array<number>(options.nodes).fill(0)
  const down = new Set<number>()
  let group = new Array<number>(options.nodes).fill(0)
  let failure: Error | undefined
  const honest = () => [...Array(options.nodes).keys()].filter((i) => !down.has(i) && !adversarial(i))
  const onEvent = (m: ToCoordinator): void => {
    if (m.type !== 'added') return
    tips[m.index] = Math.max(m.height, tips[m.index])
    if (m.produced && !adversarial(m.index)) {
      producedAt.set(m.hash, m.at)
      producerOf.set(m.hash, m.index)
      producedIndex.set(m.hash, m.height)
    }
    if (adversarial(m.index)) return
    const seen = arrivals.get(m.hash) ?? new Set<number>()
    seen.add(m.index)
    arrivals.set(m.hash, seen)
    if (seen.size === honest().length && !arrivedAt.has(m.hash)) arrivedAt.set(m.hash, m.at)
  }
  const workers: SimWorker[] = Array.from(
    { length: workerCount },
    (_, w) =>
      new SimWorker(
        {
          genesis,
          producers,
          nodes: options.nodes,
          adversaries,
          seed: options.seed * 1000 + w,
          latencyMs: options.latencyMs,
          loss: options.loss,
        },
        onEvent,
        (err) => {
          failure ??= err
        },
      ),
  )
  const check = () => {
    if (failure) throw failure
  }
  const peerIds: string[] = []
  const addrs: string[] = []
  const start = async (index: number, bootstrap: string[], storedTip?: string) => {
    const m = await ownerOf(index).ask(
      { type: 'start', index, bootstrap, ...(storedTip !== undefined && { storedTip }) },
      'started',
    )
    peerIds[index] = m.peerId
    addrs[index] = m.addr
  }

  try {
    // A connected start with no hub: node i bootstraps to node i−1 and to a random earlier node;
    // peer exchange adds peers up to each node's target degree.
    for (let i = 0; i < options.nodes; i++) {
      const earlier = Math.floor(random() * i)
      await start(i, i === 0 ? [] : [...new Set([addrs[i - 1], addrs[earlier]])])
      check()
    }
    for (const w of workers) w.tell({ type: 'peers', peers: peerIds.map((id, i) => [id, i]) })
    await wait(1500) // gossip meshes form on heartbeats

    const crashed = new Set<number>()
    if (options.crash) {
      const count = Math.max(1, Math.round(options.nodes * options.crash.fraction))
      const order = [...Array(options.nodes).keys()].sort(() => random() - 0.5)
      for (const i of order.slice(0, count)) crashed.add(i)
    }
    const preCrashTips: Record<number, string> = {}
    /** Blocks some honest node held k deep, sampled every 10 slots: all must be on every final chain. */
    const settled = new Set<string>()
    let lossNow = options.loss
    const setGroups = async (groups: number[], dial: Record<number, string>) => {
      group = groups.length > 0 ? groups : new Array<number>(options.nodes).fill(0)
      await Promise.all(workers.map((w) => w.ask({ type: 'groups', groups, dial }, 'groupsDone')))
    }
    /**
     * Waits until every block produced so far has reached every live node of its producer's side of
     * any partition (the synchronous network model with a bound Δ), at most `maxMs`: with message
     * loss a block may never arrive, and the next block or anti-entropy repairs that.
     */
    const settle = async (maxMs: number): Promise<void> => {
      const deadline = Date.now() + maxMs
      while (Date.now() < deadline) {
        check()
        // A block is settled once it reached every live node on its side, or once every such node
        // is at least as long (it lost a fork race there, and is kept as a side block).
        const pending = [...producerOf].some(([id, index]) => {
          const side = honest().filter((i) => group[i] === group[index])
          const height = producedIndex.get(id) ?? 0
          return (arrivals.get(id)?.size ?? 0) < side.length && side.some((i) => tips[i] < height)
        })
        if (!pending) return
        await wait(10)
      }
    }
    const step = async (slot: number): Promise<void> => {
      await Promise.all(workers.map((w) => w.ask({ type: 'slot', slot }, 'slotDone')))
      check()
      await settle(lossNow > 0 ? 1000 : 3000)
      // Blocks that have reached everyone they can no longer hold the next slot back.
      producerOf.clear()
    }

    const slotsStarted = performance.now()
    for (let slot = 0; slot < options.slots; slot++) {
      const p = options.partition
      if (p && slot === p.from)
        await setGroups(
          [...Array(options.nodes).keys()].map((i) => i % p.groups),
          {},
        )
      if (p && slot === p.to) {
        // Healed: each node dials the next live one (in another group), so no node becomes a hub.
        const live = [...Array(options.nodes).keys()].filter((i) => !down.has(i))
        await setGroups([], Object.fromEntries(live.map((i, n) => [i, addrs[live[(n + 1) % live.length]]])))
      }
      const c = options.crash
      if (c && slot === c.from) {
        for (const i of crashed) {
          preCrashTips[i] = (await ownerOf(i).ask({ type: 'stop', index: i }, 'stopped')).tip
          down.add(i)
        }
      }
      if (c && slot === c.to) {
        const up = [...Array(options.nodes).keys()].find((i) => !crashed.has(i))!
        for (const i of crashed) {
          down.delete(i)
          await start(i, [addrs[up]], preCrashTips[i])
        }
        for (const w of workers) w.tell({ type: 'peers', peers: peerIds.map((id, i) => [id, i]) })
      }
      await step(slot)
      if (slot % 10 === 9) {
        const samples = await Promise.all(workers.map((w) => w.ask({ type: 'sample' }, 'sampled')))
        for (const { hashes } of samples) for (const h of hashes) settled.add(h)
      }
      options.onSlot?.(slot)
    }
    // Cool-down: faults are over; honest nodes must converge on one chain within a bounded number of slots.
    lossNow = 0
    for (const w of workers) w.tell({ type: 'loss', loss: 0 })
    let coolDown = 0
    const tipsAgree = async () => {
      const answers = await Promise.all(workers.map((w) => w.ask({ type: 'tips' }, 'tipsAre')))
      const all = answers.flatMap((a) => a.tips)
      return all.every((t) => t === all[0])
    }
    while (!(await tipsAgree()) && coolDown < 40) {
      await step(options.slots + coolDown)
      coolDown++
    }
    const slotSeconds = (performance.now() - slotsStarted) / 1000

    const adversaryIds = peerIds.filter((_, i) => adversarial(i))
    const results = await Promise.all(workers.map((w) => w.ask({ type: 'finish', adversaryIds }, 'finished')))
    check()
    const chains = results
      .flatMap((r) => r.chains)
      .sort((a, b) => a.index - b.index)
      .map((c) => c.blocks)
    const hashes = chains.map((chain) => chain.map((b) => b.hash))
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
      const blocks = finalChain.filter((b) => b.issuer === address).length
      return {
        producer: address.slice(0, 14),
        blocks,
        share: blocks / Math.max(1, finalChain.length),
        stakeShare: stake.get(address) ?? 0,
        honest: !adversarial(i),
      }
    })
    const honestOnly = quality.filter((q) => q.honest)
    const honestQuality = {
      share: honestOnly.reduce((sum, q) => sum + q.share, 0),
      stakeShare: honestOnly.reduce((sum, q) => sum + q.stakeShare, 0),
    }
    const sent: AdversaryCounts = { equivocations: 0, swappedBodies: 0, wrongLeaders: 0 }
    for (const r of results) {
      sent.equivocations += r.counts.equivocations
      sent.swappedBodies += r.counts.swappedBodies
      sent.wrongLeaders += r.counts.wrongLeaders
    }
    const delays = [...arrivedAt.entries()]
      .filter(([id]) => producedAt.has(id))
      .map(([id, at]) => at - producedAt.get(id)!)
    delays.sort((x, y) => x - y)
    const pct = (q: number) =>
      delays.length === 0 ? 0 : delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]
    const finalTips = hashes.map((h) => h.at(-1))
    const degrees = results.flatMap((r) => r.degrees)
    const f = Number(genesis.activeSlotCoeff.numerator) / Number(genesis.activeSlotCoeff.denominator)
    const { onSlot: _, ...shown } = options
    return {
      options: { ...shown, workers: workerCount },
      commonPrefix: {
        deepestRollback: Math.max(...results.map((r) => r.deepestRollback)),
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
          rejectedByHonest: results.reduce((n, r) => n + r.rejectedByHonest, 0),
          equivocationsSeenByHonest: results.reduce((n, r) => n + r.equivocationsSeen, 0),
          honestNodesBanningAdversaries: results.reduce((n, r) => n + r.banning, 0),
        },
      }),
      propagationMs: { p50: pct(0.5), p95: pct(0.95), max: delays.at(-1) ?? 0, blocks: delays.length },
      oneChain: finalTips.every((t) => t === finalTips[0]),
      coolDownSlots: coolDown,
      blocksLostAfterRestart: results.reduce((n, r) => n + r.lost, 0),
      seconds: (performance.now() - started) / 1000,
      msPerSlot: (slotSeconds * 1000) / (options.slots + coolDown),
      peersPerNode: {
        min: Math.min(...degrees),
        avg: degrees.reduce((a, b) => a + b, 0) / degrees.length,
        max: Math.max(...degrees),
      },
    }
  } finally {
    await Promise.all(workers.map((w) => w.worker.terminate()))
  }
}

function totalStakeShares(genesis: Genesis): Map<string, number> {
  const total = [...genesis.balances.values()].reduce((a, b) => a + b, 0n)
  return new Map([...genesis.balances].map(([a, b]) => [a, Number((b * 10_000n) / total) / 10_000]))
}
