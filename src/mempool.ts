import { toHex } from './encoding/hash.ts'
import { MempoolFullError, SenderLimitError } from './errors.ts'
import type { Genesis } from './genesis.ts'
import type { Address } from './ledger/address.ts'
import { applyTransaction } from './ledger/apply-block.ts'
import { DuplicateTxError } from './ledger/errors.ts'
import type { Account, LedgerState } from './ledger/ledger-state.ts'
import { encodeTransaction, type Transaction, type TransferBody } from './ledger/transaction.ts'

interface Entry {
  tx: Transaction
  size: number
}

// Fees are credited to whoever produces the block; while pending they go nowhere.
const FEE_SINK = 'fee-sink' as Address

/** Pending transactions one sender may have by default: a flood from one account takes a small share. */
export const DEFAULT_MAX_PER_SENDER = 32

/** True when `a` pays less per byte than `b`. */
const cheaper = (a: Entry, b: Entry): boolean =>
  a.tx.body.fee * BigInt(b.size) < b.tx.body.fee * BigInt(a.size)

/**
 * The transaction queue: bounded by bytes and by transactions per sender, deduplicated by hash,
 * every transaction valid on top of the tip state plus the transactions before it (so each
 * sender's nonces are in order). When full, a transaction paying more per byte displaces the
 * cheapest ones (each the last pending one of its sender, so no nonce chain is broken).
 */
export class Mempool {
  private readonly genesis: Genesis
  private readonly maxBytes: number
  private readonly maxPerSender: number
  private entries = new Map<string, Entry>()
  /** Accounts as they will be after every pending transaction; others are as in `state`. */
  private projected = new Map<Address, Account>()
  /** VRF keys claimed by pending pool registrations. */
  private projectedVrfOwners = new Map<string, Address>()
  /** Pending transactions by sender. */
  private senders = new Map<Address, number>()
  private state: LedgerState
  private bytes = 0

  constructor(
    genesis: Genesis,
    state: LedgerState,
    maxBytes = 2 * genesis.maxBlockBytes,
    maxPerSender = DEFAULT_MAX_PER_SENDER,
  ) {
    this.genesis = genesis
    this.state = state
    this.maxBytes = maxBytes
    this.maxPerSender = maxPerSender
  }

  /** Number of pending transactions. */
  get size(): number {
    return this.entries.size
  }

  /** Total encoded bytes of pending transactions. */
  get sizeBytes(): number {
    return this.bytes
  }

  /** True when a transaction with this hash is pending. */
  has(hash: Uint8Array): boolean {
    return this.entries.has(toHex(hash))
  }

  /**
   * Admits a signature-checked transaction if it applies after all pending ones, displacing
   * cheaper ones when full; throws why not (DUPLICATE_TX, FEE_TOO_LOW, BAD_NONCE,
   * INSUFFICIENT_BALANCE, SENDER_LIMIT, … or MEMPOOL_FULL).
   */
  add(tx: Transaction): void {
    const { id, size, view, owners, victims } = this.evaluate(tx)
    if (victims.size > 0) {
      if (this.undoable(victims, tx)) {
        // Each displaced one is its sender's last and nothing pending spends what it paid: taking
        // it out is undoing its effect on two accounts, with no rebuild (a flood stays cheap).
        for (const key of victims) this.undo(key)
        this.add(tx)
        return
      }
      // Rebuilt without the displaced ones (and whatever spent what they paid): if `tx` then
      // fails, nothing changes.
      const trial = new Mempool(this.genesis, this.state, this.maxBytes, this.maxPerSender)
      for (const [key, entry] of this.entries) if (!victims.has(key)) trial.tryAdd(entry.tx)
      trial.add(tx)
      this.entries = trial.entries
      this.projected = trial.projected
      this.projectedVrfOwners = trial.projectedVrfOwners
      this.senders = trial.senders
      this.bytes = trial.bytes
      return
    }
    for (const [key, owner] of owners) this.projectedVrfOwners.set(key, owner)
    view.delete(FEE_SINK)
    for (const [address, account] of view) this.projected.set(address, account)
    this.entries.set(id, { tx, size })
    this.senders.set(tx.body.from, (this.senders.get(tx.body.from) ?? 0) + 1)
    this.bytes += size
  }

  /**
   * Throws what `add` would throw, changing nothing: the cheap checks a node makes before it
   * spends a signature verification on a transaction.
   */
  check(tx: Transaction): void {
    this.evaluate(tx)
  }

  /** True when `victims` are transfers to accounts with nothing pending (nor `tx`'s sender). */
  private undoable(victims: Set<string>, tx: Transaction): boolean {
    for (const key of victims) {
      const { body } = this.entries.get(key)!.tx
      if (body.type !== 'transfer' || body.to === tx.body.from) return false
      if (body.to !== body.from && this.senders.has(body.to)) return false
    }
    return true
  }

  /** Takes out a pending transfer that is its sender's last, reversing it on both accounts. */
  private undo(key: string): void {
    const { tx, size } = this.entries.get(key)!
    const body = tx.body as TransferBody
    const sender = this.projectedAccount(body.from)
    this.projected.set(body.from, {
      ...sender,
      balance: sender.balance + body.amount + body.fee,
      nonce: sender.nonce - 1,
    })
    const recipient = this.projectedAccount(body.to)
    const balance = recipient.balance - body.amount
    // An account only the displaced transfer created is gone again.
    if (balance === 0n && recipient.nonce === 0 && !this.state.accounts.get(body.to))
      this.projected.delete(body.to)
    else this.projected.set(body.to, { ...recipient, balance })
    this.entries.delete(key)
    const left = (this.senders.get(body.from) ?? 1) - 1
    if (left === 0) this.senders.delete(body.from)
    else this.senders.set(body.from, left)
    this.bytes -= size
  }

  private tryAdd(tx: Transaction): boolean {
    try {
      this.add(tx)
      return true
    } catch {
      return false
    }
  }

  /** Applies `tx` after the pending ones to a scratch view of the accounts it touches. */
  private evaluate(tx: Transaction) {
    const id = toHex(tx.hash)
    if (this.entries.has(id)) throw new DuplicateTxError(`tx ${id.slice(0, 12)} is already pending`)
    const pending = this.senders.get(tx.body.from) ?? 0
    if (pending >= this.maxPerSender) {
      throw new SenderLimitError(
        `${tx.body.from} has ${pending} transactions pending, the most one sender may have; try again after the next block`,
      )
    }
    const size = encodeTransaction(tx).length
    const view = new Map<Address, Account>()
    for (const address of [tx.body.from, tx.body.type === 'transfer' ? tx.body.to : undefined]) {
      const account = address && (this.projected.get(address) ?? this.state.accounts.get(address))
      if (address && account) view.set(address, account)
    }
    const owners = new Map<string, Address>()
    if (tx.body.type === 'register-pool') {
      const key = toHex(tx.body.vrfKey)
      const owner = this.projectedVrfOwners.get(key) ?? this.state.vrfKeyOwners.get(key)
      if (owner !== undefined) owners.set(key, owner)
    }
    applyTransaction(view, tx, this.genesis, FEE_SINK, owners)
    const victims = this.bytes + size > this.maxBytes ? this.victimsFor({ tx, size }) : new Set<string>()
    return { id, size, view, owners, victims }
  }

  /**
   * The pending transactions `entry` displaces to fit: the cheapest per byte among the last
   * pending ones of other senders, each cheaper than `entry`. Throws MEMPOOL_FULL when those
   * do not free enough room.
   */
  private victimsFor(entry: Entry): Set<string> {
    const queues = new Map<Address, Array<[string, Entry]>>()
    for (const [key, e] of this.entries) {
      const from = e.tx.body.from
      if (from === entry.tx.body.from) continue
      const queue = queues.get(from)
      if (queue === undefined) queues.set(from, [[key, e]])
      else queue.push([key, e])
    }
    const victims = new Set<string>()
    let room = this.maxBytes - this.bytes
    while (room < entry.size) {
      let cheapest: Array<[string, Entry]> | undefined
      for (const queue of queues.values()) {
        const last = queue.at(-1)
        if (last !== undefined && (cheapest === undefined || cheaper(last[1], cheapest.at(-1)![1])))
          cheapest = queue
      }
      const victim = cheapest?.at(-1)
      if (victim === undefined || !cheaper(victim[1], entry)) {
        throw new MempoolFullError(
          `the mempool is full (${this.bytes} of ${this.maxBytes} bytes) and nothing pending pays less per byte than fee ${entry.tx.body.fee} for ${entry.size} bytes; raise the fee or try again after the next block`,
        )
      }
      cheapest!.pop()
      victims.add(victim[0])
      room += victim[1].size
    }
    return victims
  }

  /** An account as it will be once every pending transaction is included (its next nonce, spendable balance). */
  projectedAccount(address: Address): Account {
    return this.projected.get(address) ?? this.state.accounts.get(address) ?? { balance: 0n, nonce: 0 }
  }

  /** Pending transactions in admission order, as many as fit in `maxTxs` and `maxBytes`. */
  select(maxTxs: number, maxBytes: number): Transaction[] {
    const out: Transaction[] = []
    let bytes = 0
    for (const { tx, size } of this.entries.values()) {
      if (out.length >= maxTxs || bytes + size > maxBytes) break
      out.push(tx)
      bytes += size
    }
    return out
  }

  /**
   * Re-checks everything against a new tip state: included and now-invalid transactions leave;
   * `returned` ones (from rolled-back blocks) go first if still valid. Returns those dropped.
   */
  revalidate(state: LedgerState, returned: readonly Transaction[] = []): Transaction[] {
    const candidates = [...returned, ...[...this.entries.values()].map((e) => e.tx)]
    this.state = state
    this.entries = new Map()
    this.projected = new Map()
    this.projectedVrfOwners = new Map()
    this.senders = new Map()
    this.bytes = 0
    const dropped: Transaction[] = []
    for (const tx of candidates) {
      try {
        this.add(tx)
      } catch {
        dropped.push(tx)
      }
    }
    return dropped
  }
}
