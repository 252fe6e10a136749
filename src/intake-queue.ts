import { IntakeFullError } from './errors.ts'

/** Who a task is for: the node's own slot work, or input from a peer (by id). */
export type IntakeSource = { own: true } | { peer: string }

interface Pending {
  run: () => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * Runs chain-changing tasks one at a time. The node's own slot work runs after at most
 * `ownWaitsFor` of the peer inputs already waiting (so a block that just arrived is usually taken
 * in before the node builds on its tip), never behind a flood, and is never dropped. Peer input
 * waits in per-peer queues served in turn, bounded in total and per peer; when full, the newest
 * input of the peer with most waiting is dropped, so one flooding peer cannot delay the node's own
 * blocks or crowd out other peers.
 */
export class IntakeQueue {
  private readonly own: Pending[] = []
  private readonly peers = new Map<string, Pending[]>()
  private waiting = 0
  private running = false
  private current: Promise<void> = Promise.resolve()
  private readonly maxWaiting: number
  private readonly maxPerPeer: number
  private readonly ownWaitsFor: number
  /** Peer inputs still to run before the waiting own task. */
  private peerTurnsBeforeOwn = 0

  constructor(options: { maxWaiting?: number; maxPerPeer?: number; ownWaitsFor?: number } = {}) {
    this.maxWaiting = options.maxWaiting ?? 256
    this.maxPerPeer = options.maxPerPeer ?? 32
    this.ownWaitsFor = options.ownWaitsFor ?? 4
  }

  /**
   * Queues `task` and resolves with its result once it ran; peer input may be refused with
   * IntakeFullError, and is withdrawn (rejecting with the reason) when `signal` aborts before it runs.
   */
  run<T>(task: () => Promise<T>, source: IntakeSource, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { run: task, resolve: resolve as (value: unknown) => void, reject }
      if (signal !== undefined && 'peer' in source) {
        const withdraw = (): void => this.withdraw(source.peer, pending, signal.reason)
        signal.addEventListener('abort', withdraw, { once: true })
        pending.resolve = (value) => {
          signal.removeEventListener('abort', withdraw)
          resolve(value as T)
        }
        pending.reject = (error) => {
          signal.removeEventListener('abort', withdraw)
          reject(error)
        }
      }
      if ('own' in source) {
        if (this.own.length === 0) this.peerTurnsBeforeOwn = Math.min(this.waiting, this.ownWaitsFor)
        this.own.push(pending)
      } else if (!this.admit(source.peer, pending)) return
      if (!this.running) {
        this.running = true
        this.current = this.drain()
      }
    })
  }

  /** Resolves once every queued task has run. */
  idle(): Promise<void> {
    return this.current
  }

  /** Takes a waiting input out of its peer's queue (it no longer wants to run) and rejects it. */
  private withdraw(peer: string, pending: Pending, reason: unknown): void {
    const queue = this.peers.get(peer)
    const at = queue?.indexOf(pending) ?? -1
    if (at < 0) return // running or done already
    queue!.splice(at, 1)
    if (queue!.length === 0) this.peers.delete(peer)
    this.waiting--
    pending.reject(reason)
  }

  private admit(peer: string, pending: Pending): boolean {
    const queue = this.peers.get(peer) ?? []
    if (queue.length >= this.maxPerPeer) {
      pending.reject(new IntakeFullError(`peer ${peer} has ${queue.length} inputs waiting already`))
      return false
    }
    if (this.waiting >= this.maxWaiting) {
      const [heaviest, longest] = [...this.peers].reduce((a, b) => (b[1].length > a[1].length ? b : a))
      if (heaviest === peer || longest.length <= queue.length) {
        pending.reject(new IntakeFullError(`the intake queue is full (${this.waiting} waiting)`))
        return false
      }
      longest
        .pop()
        ?.reject(new IntakeFullError(`dropped: the intake queue is full and ${heaviest} sent the most`))
      this.waiting--
    }
    queue.push(pending)
    this.peers.set(peer, queue)
    this.waiting++
    return true
  }

  /** The next task: the node's own once its few turns for earlier peer input are used, else the next peer in turn. */
  private next(): Pending | undefined {
    if (this.own.length > 0 && (this.peerTurnsBeforeOwn === 0 || this.waiting === 0)) {
      const own = this.own.shift()
      if (this.own.length > 0) this.peerTurnsBeforeOwn = Math.min(this.waiting, this.ownWaitsFor)
      return own
    }
    if (this.own.length > 0) this.peerTurnsBeforeOwn--
    for (const [peer, queue] of this.peers) {
      const pending = queue.shift()
      this.peers.delete(peer) // re-inserted at the end: peers take turns
      if (queue.length > 0) this.peers.set(peer, queue)
      if (pending !== undefined) {
        this.waiting--
        return pending
      }
    }
    return undefined
  }

  private async drain(): Promise<void> {
    try {
      for (let pending = this.next(); pending !== undefined; pending = this.next()) {
        try {
          pending.resolve(await pending.run())
        } catch (err) {
          pending.reject(err)
        }
      }
    } finally {
      this.running = false
    }
  }
}
