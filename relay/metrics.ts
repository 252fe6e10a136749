import type { PPNode } from '../src/node.ts'

/** Chain and peer metrics of a node, rendered as Prometheus text. */
export class RelayMetrics {
  private readonly node: PPNode
  private readonly counters = {
    produced: 0,
    received: 0,
    rejected: 0,
    equivocations: 0,
    reorgs: 0,
    txAccepted: 0,
    txRejected: 0,
  }
  private readonly started = Date.now()

  constructor(node: PPNode) {
    this.node = node
    node.addEventListener('block:added', (e) => {
      if (e.detail.produced) this.counters.produced++
      else this.counters.received++
    })
    node.addEventListener('block:rejected', () => this.counters.rejected++)
    node.addEventListener('block:equivocation', () => this.counters.equivocations++)
    node.addEventListener('chain:reorg', () => this.counters.reorgs++)
    node.addEventListener('tx:accepted', () => this.counters.txAccepted++)
    node.addEventListener('tx:rejected', () => this.counters.txRejected++)
  }

  /** The Prometheus text exposition of every metric. */
  render(): string {
    const s = this.node.getState()
    const byTransport = new Map<string, number>()
    for (const p of this.node.getPeers())
      byTransport.set(p.transport, (byTransport.get(p.transport) ?? 0) + 1)
    const memory = process.memoryUsage()
    const lines: string[] = []
    const metric = (name: string, type: string, help: string, samples: Array<[string, number]>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`)
    }
    metric('pp_tip_height', 'gauge', 'Index of the best chain tip.', [['', s.tip.index]])
    metric('pp_tip_slot', 'gauge', 'Slot of the best chain tip.', [['', s.tip.slot]])
    metric('pp_slot', 'gauge', 'Current slot by the clock.', [['', s.slot]])
    metric('pp_sync_lag_slots', 'gauge', 'Slots between the clock and the tip.', [
      ['', Math.max(0, s.slot - s.tip.slot)],
    ])
    metric('pp_blocks_produced_total', 'counter', 'Blocks this node produced.', [
      ['', this.counters.produced],
    ])
    metric('pp_blocks_received_total', 'counter', 'Blocks received and added.', [
      ['', this.counters.received],
    ])
    metric('pp_blocks_rejected_total', 'counter', 'Blocks rejected as invalid.', [
      ['', this.counters.rejected],
    ])
    metric(
      'pp_block_equivocations_total',
      'counter',
      'Second valid blocks of one issuer for one slot (kept as fork candidates, not relayed).',
      [['', this.counters.equivocations]],
    )
    metric('pp_reorgs_total', 'counter', 'Chain switches to another fork.', [['', this.counters.reorgs]])
    metric('pp_txs_accepted_total', 'counter', 'Transactions admitted to the mempool.', [
      ['', this.counters.txAccepted],
    ])
    metric('pp_txs_rejected_total', 'counter', 'Transactions refused.', [['', this.counters.txRejected]])
    metric('pp_mempool_transactions', 'gauge', 'Pending transactions.', [['', s.mempool.transactions]])
    metric('pp_mempool_bytes', 'gauge', 'Pending transaction bytes.', [['', s.mempool.bytes]])
    metric(
      'pp_peers',
      'gauge',
      'Connected peers by transport.',
      ['tcp', 'ws', 'webrtc', 'circuit'].map((t) => [`{transport="${t}"}`, byTransport.get(t) ?? 0]),
    )
    metric('pp_process_resident_bytes', 'gauge', 'Resident memory of the relay process.', [['', memory.rss]])
    metric('pp_uptime_seconds', 'gauge', 'Seconds since the relay started.', [
      ['', Math.round((Date.now() - this.started) / 1000)],
    ])
    return `${lines.join('\n')}\n`
  }
}
