import type { Genesis } from '../genesis.ts'
import type { StateTree } from '../state/state-tree.ts'
import type { Account, AccountLayer, Accounts, GenesisAccounts } from './account-layers.ts'
import { type Address, addressOf } from './address.ts'

export type { Account, Accounts } from './account-layers.ts'

/** The stake pools and their stake at one moment. */
export interface StakeSnapshot {
  pools: ReadonlyMap<Address, { stake: bigint; vrfKey: Uint8Array }>
  totalStake: bigint
}

/** The state at the end of every epoch in [firstEpoch, lastEpoch] (no block between them). */
export interface EpochEnd {
  firstEpoch: number
  lastEpoch: number
  snapshot: StakeSnapshot
  /** The candidate nonce then (frozen since the epoch's stability point). */
  candidateNonce: Uint8Array
}

/** Where the chain stands. */
export interface ChainTip {
  index: number
  /** -1 at genesis, so that a block may use slot 0. */
  slot: number
  hash: Uint8Array
}

/** The ledger after some chain of blocks: accounts, tip, and what consensus derives from it. */
export interface LedgerState {
  /** Layered: each block's layer holds what it changed (see AccountLayer). */
  accounts: AccountLayer
  tip: ChainTip
  /** The pools with a VRF key and a balance, kept up to date block by block (no walk over all accounts). */
  stake: StakeSnapshot
  /** SHA-256 chain over every block's VRF output: the source of epoch nonces. */
  evolvingNonce: Uint8Array
  /**
   * The evolving nonce as of the last block before its epoch's stability point (3k/f slots before
   * the epoch ends); at an epoch's end it seeds the nonce of the next epoch.
   */
  candidateNonce: Uint8Array
  /** Owner of every registered VRF key (hex), so no two pools share one. */
  vrfKeyOwners: ReadonlyMap<string, Address>
  /** The two most recent epoch-end snapshots (older ones are never needed). */
  epochEnds: readonly EpochEnd[]
  /** The accounts as a sparse Merkle tree, sharing its unchanged nodes with the state before. */
  tree: StateTree
  /** What a header commits to: the accounts tree's root and the consensus part (see state-root.ts). */
  stateRoot: Uint8Array
}

/** The stake snapshot after some accounts changed: only pool accounts among them matter. */
export function updateStake(stake: StakeSnapshot, changed: ReadonlyMap<Address, Account>): StakeSnapshot {
  let pools: Map<Address, { stake: bigint; vrfKey: Uint8Array }> | undefined
  let totalStake = stake.totalStake
  for (const [address, account] of changed) {
    const before = stake.pools.get(address)
    const isPool = account.vrfKey !== undefined && account.balance > 0n
    if (before === undefined && !isPool) continue
    if (before?.stake === account.balance && before.vrfKey === account.vrfKey) continue
    pools ??= new Map(stake.pools)
    totalStake -= before?.stake ?? 0n
    if (isPool) {
      pools.set(address, { stake: account.balance, vrfKey: account.vrfKey! })
      totalStake += account.balance
    } else pools.delete(address)
  }
  return pools === undefined ? stake : { pools, totalStake }
}

/** The accounts a genesis creates: its balances, and the VRF keys of its pools. */
export function genesisAccounts(genesis: Genesis): GenesisAccounts {
  const vrfKeys = new Map<Address, Uint8Array>()
  for (const pool of genesis.pools) vrfKeys.set(addressOf(pool.publicKey), pool.vrfKey)
  return { balances: genesis.balances, vrfKeys }
}

/** An account's state, or a fresh empty one. */
export function accountOf(state: { accounts: Accounts }, address: Address): Account {
  return state.accounts.get(address) ?? { balance: 0n, nonce: 0 }
}
