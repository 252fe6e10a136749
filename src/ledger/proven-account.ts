import type { Account } from './account-layers.ts'
import type { Address } from './address.ts'
import type { LedgerState } from './ledger-state.ts'
import { type AccountProof, proveAccount } from './state-root.ts'

/** A proven read: an account (or its absence) at a block, with its proof against the block's state root. */
export interface ProvenAccount {
  address: Address
  /** Undefined when the address has no account in that state. */
  account: Account | undefined
  block: { index: number; hash: Uint8Array }
  stateRoot: Uint8Array
  proof: AccountProof
}

/** The account of `address` in `state` (the state after its tip block), proven against its state root. */
export function provenAccount(state: LedgerState, address: Address): ProvenAccount {
  return {
    address,
    account: state.accounts.get(address),
    block: { index: state.tip.index, hash: state.tip.hash },
    stateRoot: state.stateRoot,
    proof: proveAccount(state.tree, state, address),
  }
}
