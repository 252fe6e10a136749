import { hash, toHex } from '../encoding/hash.ts'
import { type Genesis, genesisHash } from '../genesis.ts'
import { type Address, addressOf } from './address.ts'

/** An account: its balance, how many transactions it has sent, and its VRF key if it is a stake pool. */
export interface Account {
  balance: bigint
  nonce: number
  vrfKey?: Uint8Array
}

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
  accounts: ReadonlyMap<Address, Account>
  tip: ChainTip
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
}

/** The pools and stake of the given accounts, for leader election. */
export function stakeSnapshot(accounts: ReadonlyMap<Address, Account>): StakeSnapshot {
  const pools = new Map<Address, { stake: bigint; vrfKey: Uint8Array }>()
  let totalStake = 0n
  for (const [address, account] of accounts) {
    if (account.vrfKey === undefined || account.balance === 0n) continue
    pools.set(address, { stake: account.balance, vrfKey: account.vrfKey })
    totalStake += account.balance
  }
  return { pools, totalStake }
}

/** The state before block 1: genesis balances and pools. */
export function genesisState(genesis: Genesis): LedgerState {
  const accounts = new Map<Address, Account>()
  const vrfKeyOwners = new Map<string, Address>()
  for (const [address, balance] of genesis.balances) accounts.set(address, { balance, nonce: 0 })
  for (const pool of genesis.pools) {
    const address = addressOf(pool.publicKey)
    const account = accounts.get(address) ?? { balance: 0n, nonce: 0 }
    accounts.set(address, { ...account, vrfKey: pool.vrfKey })
    vrfKeyOwners.set(toHex(pool.vrfKey), address)
  }
  const id = genesisHash(genesis)
  const nonce = hash(id)
  return {
    accounts,
    tip: { index: 0, slot: -1, hash: id },
    evolvingNonce: nonce,
    candidateNonce: nonce,
    vrfKeyOwners,
    epochEnds: [{ firstEpoch: -2, lastEpoch: -1, snapshot: stakeSnapshot(accounts), candidateNonce: nonce }],
  }
}

/** An account's state, or a fresh empty one. */
export function accountOf(state: LedgerState, address: Address): Account {
  return state.accounts.get(address) ?? { balance: 0n, nonce: 0 }
}
