import { BoundedMap } from './bounded-map.ts'

/** How many requests one key may make: `burst` at once, then one more every `intervalMs`. */
export interface RateLimit {
  burst: number
  /** Milliseconds to earn one more request back; 0 for no limit. */
  intervalMs: number
}

interface Bucket {
  tokens: number
  at: number
}

/**
 * Token buckets by key (an address, a client IP, its /24 or /64 network). Bounded in memory: past
 * `maxKeys` the least recently used bucket is forgotten (an attacker would need that many distinct
 * networks to reset its own, and then each of them is limited anyway).
 */
export class RateLimiter {
  private readonly limit: RateLimit
  private readonly now: () => number
  private readonly buckets: BoundedMap<string, Bucket>

  constructor(limit: RateLimit, options: { maxKeys?: number; now?: () => number } = {}) {
    this.limit = limit
    this.buckets = new BoundedMap(options.maxKeys ?? 10_000)
    this.now = options.now ?? Date.now
  }

  /** Milliseconds until `key` may make one more request; 0 when it may now. Takes nothing. */
  wait(key: string): number {
    if (this.limit.intervalMs === 0) return 0
    const { tokens } = this.refill(key)
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) * this.limit.intervalMs)
  }

  /** Counts one request of `key`; callers check `wait` first (several limits pass or fail together). */
  take(key: string): void {
    if (this.limit.intervalMs === 0) return
    const bucket = this.refill(key)
    bucket.tokens -= 1
    this.buckets.set(key, bucket)
  }

  /** Gives back a request taken for something that then failed on the server's side. */
  refund(key: string): void {
    const bucket = this.buckets.get(key)
    if (bucket !== undefined) bucket.tokens = Math.min(this.limit.burst, bucket.tokens + 1)
  }

  private refill(key: string): Bucket {
    const now = this.now()
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now }
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + (now - bucket.at) / this.limit.intervalMs)
    bucket.at = now
    return bucket
  }
}
