// The settled base of a chain store: the oldest state kept in memory, also on disk as its accounts
// (one key each, only those changed since genesis) and a record of the rest.
import { DecodeError, StoreCorruptError } from '../errors.ts'
import type { Genesis } from '../genesis.ts'
import type { BatchOp, Store } from '../ports.ts'
import { type Account, AccountLayer } from './account-layers.ts'
import type { Address } from './address.ts'
import { accountKey } from './chain-keys.ts'
import { genesisAccounts, type LedgerState } from './ledger-state.ts'
import { decodeChunk } from './snapshot.ts'
import { decodeAccount, decodeBase, encodeAccount, encodeBase } from './state-codec.ts'
import { accountsTree, stateRootOf } from './state-root.ts'

/** Makes a state the settled base in memory: its account layer becomes the root (its tree shares nodes as it is). */
export function settle(state: LedgerState): void {
  state.accounts.settle()
}

/** Writes for states becoming settled, oldest first: the accounts they changed, and the newest one's record. */
export function settleOps(settling: readonly LedgerState[]): BatchOp[] {
  if (settling.length === 0) return []
  const changed = new Map<Address, Account>()
  for (const state of settling)
    for (const [address, account] of state.accounts.changes()) changed.set(address, account)
  const ops: BatchOp[] = [...changed].map(([address, account]) => ({
    type: 'put',
    key: accountKey(address),
    value: encodeAccount(account),
  }))
  ops.push(baseRecordOp(settling[settling.length - 1]))
  return ops
}

/** The write of a settled state's record: everything but its accounts. */
export function baseRecordOp(state: LedgerState): BatchOp {
  const { accounts: _, tree: __, stateRoot: ___, ...base } = state
  return { type: 'put', key: 'base', value: encodeBase(base) }
}

/**
 * The settled base as stored (its record `bytes`, and the accounts changed since genesis: those of
 * an installed snapshot's chunks, overridden by those written one by one since), with its tree.
 */
export async function readBase(store: Store, genesis: Genesis, bytes: Uint8Array): Promise<LedgerState> {
  const changed: Array<[Address, Account]> = []
  try {
    const record = decodeBase(bytes)
    for await (const [key, value] of store.entries({ prefix: 'k/' }))
      changed.push(...decodeChunk(value, Number(key.slice(2))))
    for await (const [key, value] of store.entries({ prefix: 'a/' }))
      changed.push([key.slice(2) as Address, decodeAccount(value)])
    const accounts = AccountLayer.root(genesisAccounts(genesis), changed)
    const tree = accountsTree(accounts)
    return { ...record, accounts, tree, stateRoot: stateRootOf(tree.root, record) }
  } catch (err) {
    if (err instanceof DecodeError)
      throw new StoreCorruptError(`the settled state is damaged: ${err.message}`)
    throw err
  }
}
