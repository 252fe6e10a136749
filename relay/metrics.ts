import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { slotStart } from '../src/consensus/slot-clock.ts'
import type { PPNode } from '../src/node.ts'

/** Seconds buckets for block import and propagation: 1 ms to 30 s. */
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * The relay's metrics in one prom-client registry: the node's chain and peer metrics, two
 * histograms (block import time, propagation delay), build info, and — registered by libp2p's
 * prometheus metrics on the same registry — libp2p's own and the standard process metrics.
 */
export class RelayMetrics {
  readonly registry: Registry

  constructor(node: PPNode, version: string, registry: Registry) {
    this.registry = registry
    const registers = [registry]
    const counter = (name: string, help: string) => new Counter({ name, help, registers })
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          if (node.running) this.set(read())
        },
      })
    new Gauge({
      name: 'pp_build_info',
      help: 'The running version (always 1).',
      labelNames: ['version'],
      registers,
    })
      .labels(version)
      .set(1)
    gauge('pp_tip_height', 'Index of the best chain tip.', () => node.getState().tip.index)
    gauge('pp_tip_slot', 'Slot of the best chain tip.', () => node.getState().tip.slot)
    gauge('pp_slot', 'Current slot by the clock.', () => node.getState().slot)
    gauge('pp_sync_lag_slots', 'Slots between the clock and the tip.', () => {
      const s = node.getState()
      return Math.max(0, s.slot - s.tip.slot)
    })
    gauge('pp_mempool_transactions', 'Pending transactions.', () => node.getState().mempool.transactions)
    gauge('pp_mempool_bytes', 'Pending transaction bytes.', () => node.getState().mempool.bytes)
    new Gauge({
      name: 'pp_peers',
      help: 'Connected peers by transport.',
      labelNames: ['transport'],
      registers,
      collect() {
        const peers = node.running ? node.getPeers() : []
        for (const transport of ['tcp', 'ws', 'webrtc', 'circuit'])
          this.labels(transport).set(peers.filter((p) => p.transport === transport).length)
      },
    })
    const produced = counter('pp_blocks_produced_total', 'Blocks this node produced.')
    const received = counter('pp_blocks_received_total', 'Blocks received and added.')
    const importTime = new Histogram({
      name: 'pp_block_import_seconds',
      help: 'Time to validate and add a received block (a synced run counts its share per block).',
      buckets: SECONDS_BUCKETS,
      registers,
    })
    const propagation = new Histogram({
      name: 'pp_block_propagation_seconds',
      help: 'From the start of a received block’s slot until the block was added here.',
      buckets: SECONDS_BUCKETS,
      registers,
    })
    node.addEventListener('block:added', ({ detail }) => {
      if (detail.produced) return produced.inc()
      received.inc()
      if (detail.importMs !== undefined) importTime.observe(detail.importMs / 1000)
      // Blocks caught up by sync are old news: only blocks that arrived alone measure propagation.
      if (detail.synced === false) {
        const delay = node.platform.clock.now() - slotStart(node.genesis, detail.block.header.slot)
        propagation.observe(Math.max(0, delay) / 1000)
      }
    })
    const on = (
      event: 'block:rejected' | 'block:equivocation' | 'chain:reorg' | 'tx:accepted' | 'tx:rejected',
      name: string,
      help: string,
    ) => {
      const c = counter(name, help)
      node.addEventListener(event, () => c.inc())
    }
    on('block:rejected', 'pp_blocks_rejected_total', 'Blocks rejected as invalid.')
    on(
      'block:equivocation',
      'pp_block_equivocations_total',
      'Second valid blocks of one issuer for one slot (kept as fork candidates, not relayed).',
    )
    on('chain:reorg', 'pp_reorgs_total', 'Chain switches to another fork.')
    on('tx:accepted', 'pp_txs_accepted_total', 'Transactions admitted to the mempool.')
    on('tx:rejected', 'pp_txs_rejected_total', 'Transactions refused.')
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics()
  }
}
