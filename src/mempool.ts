import { toHex } from './encoding/hash.ts'
import { MempoolFullError } from './errors.ts'
import type { Genesis } from './genesis.ts'
import type { Address } from './ledger/address.ts'
import { applyTransaction } from './ledger/apply-block.ts'
import { DuplicateTxError } from './ledger/errors.ts'
import type { Account, LedgerState } from './ledger/ledger-state.ts'
import { encodeTransaction, type Transaction } from './ledger/transaction.ts'

interface Entry {
  tx: Transaction
  size: number
}

// Fees are credited to whoever produces the block; while pending they go nowhere.
const FEE_SINK = 'fee-sink' as Address

/**
 * The transaction queue: bounded by bytes, deduplicated by hash, every transaction valid
 * on top of the tip state plus the transactions before it (so each sender's nonces are in order).
 */
export class Mempool {
  private readonly genesis: Genesis
  private readonly maxBytes: number
  private entries = new Map<string, Entry>()
  /** Accounts as they will be after every pending transaction; others are as in `state`. */
  private projected = new Map<Address, Account>()
  /** VRF keys claimed by pending pool registrations. */
  private projectedVrfOwners = new Map<string, Address>()
  private state: LedgerState
  private bytes = 0

  constructor(genesis: Genesis, state: LedgerState, maxBytes = 2 * genesis.maxBlockBytes) {
    this.genesis = genesis
    this.state = state
    this.maxBytes = maxBytes
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
   * Admits a signature-checked transaction if it applies after all pending ones; throws why not
   * (DUPLICATE_TX, BAD_NONCE, INSUFFICIENT_BALANCE, … or MEMPOOL_FULL).
   */
  add(tx: Transaction): void {
    const { id, size, view, owners } = this.evaluate(tx)
    for (const [key, owner] of owners) this.projectedVrfOwners.set(key, owner)
    view.delete(FEE_SINK)
    for (const [address, account] of view) this.projected.set(address, account)
    this.entries.set(id, { tx, size })
    this.bytes += size
  }

  /**
   * Throws what `add` would throw, changing nothing: the cheap checks a node makes before it
   * spends a signature verification on a transaction.
   */
  check(tx: Transaction): void {
    this.evaluate(tx)
  }

  /** Applies `tx` after the pending ones to a scratch view of the accounts it touches. */
  private evaluate(tx: Transaction) {
    const id = toHex(tx.hash)
    if (this.entries.has(id)) throw new DuplicateTxError(`tx ${id.slice(0, 12)} is already pending`)
    const size = encodeTransaction(tx).length
    if (this.bytes + size > this.maxBytes) {
      throw new MempoolFullError(
        `the mempool is full (${this.bytes} of ${this.maxBytes} bytes); try again after the next block`,
      )
    }
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
    return { id, size, view, owners }
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
