/**
 * Scores of misbehaving peers: every offence costs points, points heal with time, and a peer
 * whose score falls to the threshold is banned for a while. Offences count against the peer id
 * and, when the network layer knows it, against the peer's network (a /24 or /48 prefix of a
 * public address), so fresh ids from one network do not start clean. Pure bookkeeping; the
 * network layer closes connections and refuses banned peers in its connection gater.
 */
import { RateLimiter } from '../rate-limiter.ts'

/** Tuning of peer scoring. */
export interface PeerScoreOptions {
  /** Points an offence costs. */
  penalty: number
  /** Score at or below which a peer (or network) is banned. */
  banThreshold: number
  /** How long a ban lasts. */
  banMs: number
  /** Points healed per second. */
  healPerSecond: number
  /** Input that was not wrong but cost work (a transaction that no longer applies): free this many… */
  wasteAllowance: number
  /** …refilled at this rate per second; beyond it each one costs this fraction of an offence. */
  wasteRefillPerSecond: number
  wasteWeight: number
  /** Most peers and networks remembered; past it the cleanest are forgotten first, never the banned. */
  maxRecords: number
  /** Clock, for tests. */
  now: () => number
}

interface Record {
  score: number
  at: number
  bannedUntil: number
}

const DEFAULTS: PeerScoreOptions = {
  penalty: 25,
  banThreshold: -100,
  banMs: 10 * 60_000,
  healPerSecond: 0.1,
  wasteAllowance: 50,
  wasteRefillPerSecond: 1,
  wasteWeight: 0.2,
  maxRecords: 10_000,
  now: () => Date.now(),
}

/** Tracks peer and network scores and bans. */
export class PeerScores {
  private readonly options: PeerScoreOptions
  private readonly records = new Map<string, Record>()
  /** Wasted work each peer may cause for free. */
  private readonly waste: RateLimiter

  constructor(options: Partial<PeerScoreOptions> = {}) {
    this.options = { ...DEFAULTS, ...options }
    this.waste = new RateLimiter(
      { burst: this.options.wasteAllowance, intervalMs: 1000 / this.options.wasteRefillPerSecond },
      { maxKeys: this.options.maxRecords, now: this.options.now },
    )
  }

  /**
   * Records an offence by `peer` (and its `network`, when known); returns true when the peer is
   * (now) banned, by its own score or its network's.
   */
  penalise(peer: string, _reason: string, weight = 1, network?: string): boolean {
    for (const key of network === undefined ? [peer] : [peer, `net:${network}`]) {
      const record = this.current(key)
      record.score -= this.options.penalty * weight
      if (record.score <= this.options.banThreshold) {
        record.bannedUntil = this.options.now() + this.options.banMs
        record.score = 0
      }
      this.remember(key, record)
    }
    return this.isBanned(peer, network)
  }

  /** Records wasted work: free within the allowance, then a fraction of an offence each time. */
  chargeWaste(peer: string, reason: string, network?: string): boolean {
    if (this.waste.wait(peer) === 0) {
      this.waste.take(peer)
      return false
    }
    return this.penalise(peer, reason, this.options.wasteWeight, network)
  }

  /** True while a ban of the peer, or of its network, lasts. */
  isBanned(peer: string, network?: string): boolean {
    const now = this.options.now()
    if ((this.records.get(peer)?.bannedUntil ?? 0) > now) return true
    return network !== undefined && (this.records.get(`net:${network}`)?.bannedUntil ?? 0) > now
  }

  /** True while a ban of a whole network (/24, /48) lasts. */
  isNetworkBanned(network: string): boolean {
    return (this.records.get(`net:${network}`)?.bannedUntil ?? 0) > this.options.now()
  }

  /** A peer's current score (0 is clean, negative is suspect). */
  score(peer: string): number {
    return this.current(peer).score
  }

  private remember(key: string, record: Record): void {
    this.records.delete(key)
    this.records.set(key, record)
    if (this.records.size <= this.options.maxRecords) return
    // Forget the cleanest record first (a throwaway id with one offence), never a live ban.
    const now = this.options.now()
    let victim: string | undefined
    let best = -Infinity
    for (const [k, r] of this.records) {
      if (r.bannedUntil > now || k === key) continue
      if (r.score > best) {
        best = r.score
        victim = k
        if (best === 0) break
      }
    }
    this.records.delete(victim ?? (this.records.keys().next().value as string))
  }

  private current(key: string): Record {
    const now = this.options.now()
    const record = this.records.get(key) ?? { score: 0, at: now, bannedUntil: 0 }
    const seconds = (now - record.at) / 1000
    const score = Math.min(0, record.score + seconds * this.options.healPerSecond)
    return { ...record, score, at: now }
  }
}
