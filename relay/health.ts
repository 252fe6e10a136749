import type { PPNode } from '../src/node.ts'

/** What `GET /health` answers: healthy, or why not. */
export interface Health {
  healthy: boolean
  /** Why the node is not healthy (absent when it is). */
  reason?: string
  slot: number
  tip: { index: number; slot: number }
  syncing: boolean
  producer: boolean
}

/**
 * The relay's health, as a load balancer or monitor wants it: synced (no peer known to be ahead,
 * and a tip no older than a block gap that is practically impossible on a live chain) and, for a
 * producer, a slot loop that ran in the last two slots.
 */
export class HealthCheck {
  private readonly node: PPNode
  private lastSlot: number | undefined

  constructor(node: PPNode) {
    this.node = node
    node.addEventListener('slot', ({ detail }) => {
      this.lastSlot = detail.slot
    })
  }

  /** Slots without a block after which the tip counts as stale: P(gap) ≈ 2⁻²⁰ with every producer up. */
  private staleSlots(): number {
    const { mode, activeSlotCoeff: f } = this.node.genesis
    return mode === 'bft' ? 20 : Math.ceil((20 * Number(f.denominator)) / Number(f.numerator))
  }

  /** The node's health now. */
  report(): Health {
    if (!this.node.running)
      return {
        healthy: false,
        reason: 'the node is not running',
        slot: 0,
        tip: { index: 0, slot: 0 },
        syncing: false,
        producer: false,
      }
    const s = this.node.getState()
    const base = {
      slot: s.slot,
      tip: { index: s.tip.index, slot: s.tip.slot },
      syncing: s.syncing,
      producer: s.producer !== undefined,
    }
    const unhealthy = (reason: string): Health => ({ healthy: false, reason, ...base })
    if (s.syncing) return unhealthy('syncing: a peer has a longer chain (or no peer has answered yet)')
    const age = s.slot - s.tip.slot
    if (age > this.staleSlots())
      return unhealthy(`stale: the tip (slot ${s.tip.slot}) is ${age} slots old; no blocks are arriving`)
    if (base.producer && (this.lastSlot === undefined || s.slot - this.lastSlot > 2))
      return unhealthy(
        `not producing: the slot loop last ran ${this.lastSlot === undefined ? 'never' : `in slot ${this.lastSlot}`}`,
      )
    return { healthy: true, ...base }
  }
}
