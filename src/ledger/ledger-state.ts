import { hash } from '../encoding/hash.ts'
import { type Genesis, genesisHash } from '../genesis.ts'
import { type Address, addressOf } from './address.ts'

/** An account: its balance, how many transactions it has sent, and its VRF key if it is a stake pool. */
export interface Account {
  balance: bigint
  nonce: number
  vrfKey?: Uint8Array
}

/** The stake pools and their stake at one moment, with the evolving nonce then. */
export interface StakeSnapshot {
  pools: ReadonlyMap<Address, { stake: bigint; vrfKey: Uint8Array }>
  totalStake: bigint
  evolvingNonce: Uint8Array
}

/** The state at the end of every epoch in [firstEpoch, lastEpoch] (no block between them). */
export interface EpochEnd {
  firstEpoch: number
  lastEpoch: number
  snapshot: StakeSnapshot
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
  /** The two most recent epoch-end snapshots (older ones are never needed). */
  epochEnds: readonly EpochEnd[]
}

/** The pools and stake of the given accounts, for leader election. */
export function stakeSnapshot(
  accounts: ReadonlyMap<Address, Account>,
  evolvingNonce: Uint8Array,
): StakeSnapshot {
  const pools = new Map<Address, { stake: bigint; vrfKey: Uint8Array }>()
  let totalStake = 0n
  for (const [address, account] of accounts) {
    if (account.vrfKey === undefined || account.balance === 0n) continue
    pools.set(address, { stake: account.balance, vrfKey: account.vrfKey })
    totalStake += account.balance
  }
  return { pools, totalStake, evolvingNonce }
}

/** The state before block 1: genesis balances and pools. */
export function genesisState(genesis: Genesis): LedgerState {
  const accounts = new Map<Address, Account>()
  for (const [address, balance] of genesis.balances) accounts.set(address, { balance, nonce: 0 })
  for (const pool of genesis.pools) {
    const address = addressOf(pool.publicKey)
    const account = accounts.get(address) ?? { balance: 0n, nonce: 0 }
    accounts.set(address, { ...account, vrfKey: pool.vrfKey })
  }
  const id = genesisHash(genesis)
  const evolvingNonce = hash(id)
  return {
    accounts,
    tip: { index: 0, slot: -1, hash: id },
    evolvingNonce,
    epochEnds: [{ firstEpoch: -2, lastEpoch: -1, snapshot: stakeSnapshot(accounts, evolvingNonce) }],
  }
}

/** An account's state, or a fresh empty one. */
export function accountOf(state: LedgerState, address: Address): Account {
  return state.accounts.get(address) ?? { balance: 0n, nonce: 0 }
}
