// The messages between the simulator's coordinator (sim/simulation.ts) and its worker threads
// (sim/sim-worker.ts).
import type { DevnetProducer } from '../src/devnet.ts'
import type { Genesis } from '../src/genesis.ts'
import type { AdversaryCounts } from './adversary.ts'

/** What a worker is started with. */
export interface WorkerSetup {
  genesis: Genesis
  producers: DevnetProducer[]
  nodes: number
  /** The last `adversaries` nodes are adversarial. */
  adversaries: number
  seed: number
  latencyMs: number
  loss: number
}

/** Coordinator → worker. */
export type ToWorker =
  /** `storedTip`: a restart, whose store must still hold this block (its tip when it stopped). */
  | { type: 'start'; index: number; bootstrap: string[]; storedTip?: string }
  | { type: 'peers'; peers: Array<[string, number]> }
  | { type: 'slot'; slot: number }
  | { type: 'loss'; loss: number }
  /** Partition groups by node index (empty: healed); `dial` maps a node to an address to dial after. */
  | { type: 'groups'; groups: number[]; dial: Record<number, string> }
  | { type: 'stop'; index: number }
  | { type: 'sample' }
  /** The tip hash of every live honest node. */
  | { type: 'tips' }
  | { type: 'finish'; adversaryIds: string[] }

/** Worker → coordinator. */
export type ToCoordinator =
  | { type: 'started'; index: number; peerId: string; addr: string }
  | { type: 'added'; index: number; hash: string; height: number; produced: boolean; at: number }
  | { type: 'slotDone'; slot: number }
  | { type: 'groupsDone' }
  | { type: 'stopped'; index: number; tip: string }
  | { type: 'sampled'; hashes: string[] }
  | { type: 'tipsAre'; tips: string[] }
  | {
      type: 'finished'
      chains: Array<{ index: number; blocks: Array<{ hash: string; issuer: string }> }>
      degrees: number[]
      banning: number
      lost: number
      counts: AdversaryCounts
      deepestRollback: number
      rejectedByHonest: number
      equivocationsSeen: number
    }
  | { type: 'error'; message: string }
