import type { Address } from './address.ts'

/** An account: its balance, how many transactions it has sent, and its VRF key if it is a stake pool. */
export interface Account {
  balance: bigint
  nonce: number
  vrfKey?: Uint8Array
}

/** Read access to the accounts of one ledger state. */
export interface Accounts {
  /** The account at `address`, or undefined when it has never held anything. */
  get(address: Address): Account | undefined
}

/** Read and write access, as a block's layer (or the mempool's scratch view) offers it. */
export interface AccountWriter extends Accounts {
  /** Records the new state of an account. */
  set(address: Address, account: Account): void
}

/** What the root layer falls back to for accounts no block has changed: the genesis balances and pools. */
export interface GenesisAccounts {
  balances: ReadonlyMap<Address, bigint>
  vrfKeys: ReadonlyMap<Address, Uint8Array>
}

/**
 * Accounts as a stack of layers, one per block, over a root that holds every account changed since
 * genesis (and reads the rest from genesis). Applying a block adds a layer holding only what the
 * block changed, so its cost follows its transactions, not the number of accounts; states of a
 * fork share every layer below the fork. When a block settles (k deep), its layer becomes the root
 * and the old root becomes its child holding the values the block replaced (rerooting), so every
 * state, however old, still reads as it was: nothing is copied but what the block changed.
 */
export class AccountLayer implements AccountWriter {
  #parent: AccountLayer | undefined
  #own: Map<Address, Account>
  /** Addresses this layer reads from genesis directly (a rerooted old root: they were unchanged then). */
  #fromGenesisOnly = new Set<Address>()
  readonly #genesis: GenesisAccounts

  private constructor(parent: AccountLayer | undefined, genesis: GenesisAccounts) {
    this.#parent = parent
    this.#own = new Map()
    this.#genesis = genesis
  }

  /** A root layer over the genesis accounts, with `changed` (accounts changed since genesis) on top. */
  static root(genesis: GenesisAccounts, changed: Iterable<[Address, Account]> = []): AccountLayer {
    const root = new AccountLayer(undefined, genesis)
    for (const [address, account] of changed) root.#own.set(address, account)
    return root
  }

  get(address: Address): Account | undefined {
    let layer: AccountLayer = this
    for (;;) {
      const account = layer.#own.get(address)
      if (account !== undefined) return account
      if (layer.#parent === undefined || layer.#fromGenesisOnly.has(address))
        return this.#fromGenesis(address)
      layer = layer.#parent
    }
  }

  /** A new empty layer on top of this one, for the next block to write into. */
  child(): AccountLayer {
    return new AccountLayer(this, this.#genesis)
  }

  /** Records an account in this layer (only on a layer no other state reads yet). */
  set(address: Address, account: Account): void {
    this.#own.set(address, account)
  }

  /** The accounts this layer changed (for the root: every account changed since genesis). */
  changes(): ReadonlyMap<Address, Account> {
    return this.#own
  }

  /**
   * Makes this layer the root (its state becomes the settled base) at the cost of what it changed:
   * the root's map takes its changes, and the old root keeps the values they replaced. The layer
   * below must be the root (settle in order).
   */
  settle(): void {
    const root = this.#parent
    if (root === undefined) return
    if (root.#parent !== undefined) throw new Error('settle the layers below first')
    const all = root.#own
    const replaced = new Map<Address, Account>()
    for (const [address, account] of this.#own) {
      const before = all.get(address)
      if (before === undefined) root.#fromGenesisOnly.add(address)
      else replaced.set(address, before)
      all.set(address, account)
    }
    root.#own = replaced
    root.#parent = this
    this.#own = all
    this.#parent = undefined
  }

  /** Every account with something on it (genesis ones included), in address order: for exports and tests. */
  *[Symbol.iterator](): IterableIterator<[Address, Account]> {
    const addresses = new Set<Address>()
    for (let layer: AccountLayer | undefined = this; layer !== undefined; layer = layer.#parent)
      for (const address of layer.#own.keys()) addresses.add(address)
    for (const address of this.#genesis.balances.keys()) addresses.add(address)
    for (const address of this.#genesis.vrfKeys.keys()) addresses.add(address)
    for (const address of [...addresses].sort()) {
      const account = this.get(address)
      if (account !== undefined) yield [address, account]
    }
  }

  #fromGenesis(address: Address): Account | undefined {
    const balance = this.#genesis.balances.get(address)
    const vrfKey = this.#genesis.vrfKeys.get(address)
    if (balance === undefined && vrfKey === undefined) return undefined
    return { balance: balance ?? 0n, nonce: 0, ...(vrfKey && { vrfKey }) }
  }
}
