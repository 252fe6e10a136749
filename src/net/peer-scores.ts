/**
 * Scores of misbehaving peers: every offence costs points, points heal with time, and a peer
 * whose score falls to the threshold is banned for a while. Pure bookkeeping; the network layer
 * closes connections and refuses banned peers in its connection gater.
 */

/** Tuning of peer scoring. */
export interface PeerScoreOptions {
  /** Points an offence costs. */
  penalty: number
  /** Score at or below which a peer is banned. */
  banThreshold: number
  /** How long a ban lasts. */
  banMs: number
  /** Points healed per second. */
  healPerSecond: number
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
  now: () => Date.now(),
}

/** Tracks peer scores and bans. */
export class PeerScores {
  private readonly options: PeerScoreOptions
  private readonly records = new Map<string, Record>()

  constructor(options: Partial<PeerScoreOptions> = {}) {
    this.options = { ...DEFAULTS, ...options }
  }

  /** Records an offence; returns true when the peer is (now) banned. */
  penalise(peer: string, _reason: string, weight = 1): boolean {
    const record = this.current(peer)
    record.score -= this.options.penalty * weight
    if (record.score <= this.options.banThreshold) {
      record.bannedUntil = this.options.now() + this.options.banMs
      record.score = 0
    }
    this.records.set(peer, record)
    if (this.records.size > 10_000) this.records.delete(this.records.keys().next().value as string)
    return this.isBanned(peer)
  }

  /** True while a peer's ban lasts. */
  isBanned(peer: string): boolean {
    return (this.records.get(peer)?.bannedUntil ?? 0) > this.options.now()
  }

  /** A peer's current score (0 is clean, negative is suspect). */
  score(peer: string): number {
    return this.current(peer).score
  }

  private current(peer: string): Record {
    const now = this.options.now()
    const record = this.records.get(peer) ?? { score: 0, at: now, bannedUntil: 0 }
    const healed = Math.min(0, record.score + ((now - record.at) / 1000) * this.options.healPerSecond)
    return { ...record, score: healed, at: now }
  }
}
