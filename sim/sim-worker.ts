// One simulator worker thread: runs a share of the simulated nodes (real pp-nodes over loopback
// libp2p) on its own event loop, sets their clock when told, applies injected faults, and reports
// every block each node adds to the coordinator (sim/simulation.ts).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { multiaddr } from '@multiformats/multiaddr'
import { nodePlatform } from '../platform/node/index.ts'
import { libp2pNetwork } from '../platform/node/network.ts'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import type { DevnetProducer } from '../src/devnet.ts'
import { fromHex, toHex } from '../src/encoding/hash.ts'
import type { Genesis } from '../src/genesis.ts'
import { addressOf } from '../src/ledger/address.ts'
import type { Libp2pNetwork } from '../src/net/chain-network.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { type AdversaryCounts, attachAdversary } from './adversary.ts'
import { prng } from './prng.ts'
import type { ToCoordinator, ToWorker, WorkerSetup } from './sim-messages.ts'

const setup = workerData as WorkerSetup
const port = parentPort!
const random = prng(setup.seed)
const clock = new ManualClock(slotStart(setup.genesis, 0) - 1)
let loss = setup.loss
/** Group of every node (by index) while partitioned, and every node's peer id. */
let groups: number[] = []
const indexOfPeer = new Map<string, number>()

interface Local {
  index: number
  adversarial: boolean
  dataDir: string
  node?: PPNode
  counts?: AdversaryCounts
}
const locals = new Map<number, Local>()
let deepestRollback = 0
let rejectedByHonest = 0
/** Restarted nodes whose store no longer held their tip from before the stop. */
let lost = 0
let equivocationsSeen = 0

const send = (message: ToCoordinator): void => port.postMessage(message)
const now = (): number => performance.timeOrigin + performance.now()
const networkOf = (node: PPNode): Libp2pNetwork => node.network as Libp2pNetwork
const tcpOf = (node: PPNode): string =>
  networkOf(node)
    .libp2p!.getMultiaddrs()
    .map(String)
    .find((a) => a.includes('/tcp/'))!

const blocked = (index: number, peer: string): boolean => {
  const other = indexOfPeer.get(peer)
  return other !== undefined && groups.length > 0 && groups[other] !== groups[index]
}

/** Starts node `index`; restarted from its storage, it must hold `storedTip`, its tip when stopped. */
async function startNode(index: number, bootstrap: string[], storedTip?: string): Promise<void> {
  const local =
    locals.get(index) ??
    ({
      index,
      adversarial: index >= setup.nodes - setup.adversaries,
      dataDir: await mkdtemp(join(tmpdir(), `pp-sim-${index}-`)),
    } satisfies Local)
  locals.set(index, local)
  const producer = setup.producers[index] as DevnetProducer
  const node = createNode(
    {
      genesis: setup.genesis as Genesis,
      producer,
      network: {
        enableP2P: true,
        nodeId: `node-${index}`,
        listenAddr: ['/ip4/127.0.0.1/tcp/0'],
        bootstrapPeers: bootstrap,
        allowPrivateAddresses: true,
        // Each node dials up to 8 peers and accepts up to 16: a bounded degree at any size.
        targetPeers: 8,
        maxPeers: 16,
      },
    },
    { ...nodePlatform({ dataDir: local.dataDir }), clock },
    {
      network: libp2pNetwork({
        conditions: {
          latencyMs: () => random() * setup.latencyMs,
          drop: () => random() < loss,
          blocked: (peer) => blocked(index, peer),
        },
      }),
    },
  )
  if (!local.adversarial) {
    node.addEventListener('block:rejected', () => rejectedByHonest++)
    node.addEventListener('block:equivocation', () => equivocationsSeen++)
  }
  node.addEventListener('block:added', ({ detail: { block, produced } }) => {
    send({
      type: 'added',
      index,
      hash: toHex(block.hash),
      height: block.header.index,
      produced,
      at: now(),
    })
  })
  node.addEventListener('chain:reorg', ({ detail }) => {
    deepestRollback = Math.max(deepestRollback, detail.depth)
  })
  await node.start()
  if (storedTip !== undefined && !(await node.chainStore.hasBlock(fromHex(storedTip)!))) lost++
  if (local.adversarial) {
    local.counts ??= { equivocations: 0, swappedBodies: 0, wrongLeaders: 0 }
    attachAdversary(node, producer, local.counts)
  }
  local.node = node
  send({ type: 'started', index, peerId: networkOf(node).libp2p!.peerId.toString(), addr: tcpOf(node) })
}

/** Sets the clock to the slot's start and resolves when every live node here has handled it. */
async function runSlot(slot: number): Promise<void> {
  const live = [...locals.values()].filter((l) => l.node !== undefined)
  const handled = live.map(
    (l) =>
      new Promise<void>((resolve) => {
        const onSlot = (e: CustomEvent<{ slot: number }>): void => {
          if (e.detail.slot < slot) return
          l.node!.removeEventListener('slot', onSlot)
          resolve()
        }
        l.node!.addEventListener('slot', onSlot)
      }),
  )
  clock.set(slotStart(setup.genesis, slot))
  await Promise.all(handled)
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'start':
      return startNode(message.index, message.bootstrap, message.storedTip)
    case 'peers':
      for (const [peer, index] of message.peers) indexOfPeer.set(peer, index)
      return
    case 'slot':
      await runSlot(message.slot)
      return send({ type: 'slotDone', slot: message.slot })
    case 'loss':
      loss = message.loss
      return
    case 'groups': {
      groups = message.groups
      for (const l of locals.values()) {
        const libp2p = l.node && networkOf(l.node).libp2p
        if (libp2p === undefined) continue
        for (const c of libp2p.getConnections())
          if (blocked(l.index, c.remotePeer.toString())) await c.close().catch(() => {})
        const next = message.dial[l.index]
        if (next !== undefined) await libp2p.dial(multiaddr(next)).catch(() => {})
      }
      return send({ type: 'groupsDone' })
    }
    case 'stop': {
      const l = locals.get(message.index)!
      const tip = toHex(l.node!.chainStore.tip.hash)
      await l.node!.stop()
      l.node = undefined
      return send({ type: 'stopped', index: message.index, tip })
    }
    case 'sample': {
      const deep: string[] = []
      for (const l of locals.values()) {
        if (l.node === undefined || l.adversarial) continue
        const at = l.node.chainStore.tip.index - setup.genesis.k
        if (at >= 1) deep.push(toHex((await l.node.chainStore.hashAt(at))!))
      }
      return send({ type: 'sampled', hashes: deep })
    }
    case 'tips': {
      const live = [...locals.values()].filter((l) => l.node !== undefined && !l.adversarial)
      return send({ type: 'tipsAre', tips: live.map((l) => toHex(l.node!.chainStore.tip.hash)) })
    }
    case 'finish':
      return finish(message.adversaryIds)
  }
}

/** Reports each live honest node's chain and standing, stops every node and removes their data. */
async function finish(adversaryIds: string[]): Promise<void> {
  const chains: Array<{ index: number; blocks: Array<{ hash: string; issuer: string }> }> = []
  const degrees: number[] = []
  let banning = 0
  const counts: AdversaryCounts = { equivocations: 0, swappedBodies: 0, wrongLeaders: 0 }
  for (const l of locals.values()) {
    if (l.counts) {
      counts.equivocations += l.counts.equivocations
      counts.swappedBodies += l.counts.swappedBodies
      counts.wrongLeaders += l.counts.wrongLeaders
    }
    const node = l.node
    if (node === undefined) continue
    degrees.push(
      new Set(
        networkOf(node)
          .libp2p!.getConnections()
          .map((c) => c.remotePeer.toString()),
      ).size,
    )
    if (l.adversarial) continue
    const blocks = await node.chainStore.getBlocks(1, node.chainStore.tip.index)
    chains.push({
      index: l.index,
      blocks: blocks.map((b) => ({ hash: toHex(b.hash), issuer: addressOf(b.header.issuer) })),
    })
    if (adversaryIds.some((id) => networkOf(node).peerStanding(id).banned)) banning++
  }
  for (const l of locals.values()) await l.node?.stop()
  await Promise.all([...locals.values()].map((l) => rm(l.dataDir, { recursive: true, force: true })))
  send({
    type: 'finished',
    chains,
    degrees,
    banning,
    lost,
    counts,
    deepestRollback,
    rejectedByHonest,
    equivocationsSeen,
  })
}

// Messages are handled one at a time, in order.
let queue = Promise.resolve()
port.on('message', (message: ToWorker) => {
  queue = queue
    .then(() => handle(message))
    .catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }))
})
