import type { ConsensusView } from '../consensus/consensus-view.ts'
import { hash, toHex } from '../encoding/hash.ts'
import { type Genesis, genesisHash } from '../genesis.ts'
import { AccountLayer } from './account-layers.ts'
import type { Address } from './address.ts'
import { genesisAccounts, type LedgerState } from './ledger-state.ts'
import { accountsTree, stateRootOf } from './state-root.ts'

/** The state before block 1: genesis balances and pools. */
export function genesisState(genesis: Genesis): LedgerState {
  const initial = genesisAccounts(genesis)
  const vrfKeyOwners = new Map<string, Address>()
  for (const [address, vrfKey] of initial.vrfKeys) vrfKeyOwners.set(toHex(vrfKey), address)
  const accounts = AccountLayer.root(initial)
  const view = genesisView(genesis)
  const tree = accountsTree(accounts)
  return { accounts, vrfKeyOwners, ...view, tree, stateRoot: stateRootOf(tree.root, view) }
}

/** What leader checks read of the state before block 1: the genesis pools' stake and the nonces from the genesis hash. */
export function genesisView(genesis: Genesis): ConsensusView {
  const pools = new Map<Address, { stake: bigint; vrfKey: Uint8Array }>()
  let totalStake = 0n
  for (const [address, vrfKey] of genesisAccounts(genesis).vrfKeys) {
    const balance = genesis.balances.get(address) ?? 0n
    if (balance === 0n) continue
    pools.set(address, { stake: balance, vrfKey })
    totalStake += balance
  }
  const stake = { pools, totalStake }
  const id = genesisHash(genesis)
  const nonce = hash(id)
  return {
    tip: { index: 0, slot: -1, hash: id },
    evolvingNonce: nonce,
    candidateNonce: nonce,
    stake,
    epochEnds: [{ firstEpoch: -2, lastEpoch: -1, snapshot: stake, candidateNonce: nonce }],
  }
}
