import { concatBytes } from '@noble/hashes/utils.js'
import { encodeCbor } from '../encoding/cbor.ts'
import { equalBytes, hash, writeHash } from '../encoding/hash.ts'
import { PackedEntries } from '../state/packed-entries.ts'
import { provenRoot } from '../state/state-proof.ts'
import { type StateProof, StateTree } from '../state/state-tree.ts'
import type { Account } from './account-layers.ts'
import type { Address } from './address.ts'
import type { EpochEnd, StakeSnapshot } from './ledger-state.ts'
import { encodeAccount, epochEndsToWire, snapshotToWire } from './state-codec.ts'

/**
 * The state root a header commits to: SHA-256 of a domain tag, the root of the accounts tree (a
 * sparse Merkle tree keyed by SHA-256 of the address, valued by SHA-256 of the encoded account),
 * the evolving and candidate nonces, and the hashes of the pools' stake and of the epoch-end
 * snapshots: everything leader election needs, so that a header chain can be checked with one
 * proven record per epoch. VRF key owners are not in it: they follow from the accounts.
 */
const STATE_DOMAIN = new TextEncoder().encode('pp/state/1')

/** What a state root is taken over, besides the accounts. */
export interface ConsensusPart {
  evolvingNonce: Uint8Array
  candidateNonce: Uint8Array
  stake: StakeSnapshot
  epochEnds: readonly EpochEnd[]
}

const utf8 = new TextEncoder()

/** What an account's tree key is the hash of. */
const keyInput = (address: Address): Uint8Array => utf8.encode(address)

/** An account's key in the accounts tree. */
export function accountTreeKey(address: Address): Uint8Array {
  return hash(keyInput(address))
}

/** The hash an account's tree leaf holds. */
export function accountValueHash(account: Account): Uint8Array {
  return hash(encodeAccount(account))
}

/** The accounts tree of a whole set of accounts (genesis, or a settled base read from storage). */
export function accountsTree(accounts: Iterable<[Address, Account]>): StateTree {
  return StateTree.of(treeEntries(accounts))
}

/** The accounts tree after `changed` (the accounts one block wrote). */
export function nextAccountsTree(tree: StateTree, changed: ReadonlyMap<Address, Account>): StateTree {
  return tree.update(treeEntries(changed))
}

/** Stake and epoch ends change seldom (a pool's balance, an epoch's end): their hashes are kept per object. */
const partHashes = new WeakMap<object, Uint8Array>()

function hashOnce(of: object, wire: () => unknown): Uint8Array {
  let known = partHashes.get(of)
  if (known === undefined) {
    known = hash(encodeCbor(wire()))
    partHashes.set(of, known)
  }
  return known
}

/** The hash of the pools' stake and of the epoch-end snapshots, as the state root and its proofs take them. */
export function snapshotsHash(part: Pick<ConsensusPart, 'stake' | 'epochEnds'>): Uint8Array {
  const stake = hashOnce(part.stake, () => snapshotToWire(part.stake))
  const ends = hashOnce(part.epochEnds, () => epochEndsToWire(part.epochEnds))
  return hash(concatBytes(stake, ends))
}

/** The state root of accounts with root `accountsRoot` and the given consensus part. */
export function stateRootOf(accountsRoot: Uint8Array, part: ConsensusPart): Uint8Array {
  return combine(accountsRoot, part.evolvingNonce, part.candidateNonce, snapshotsHash(part))
}

/** An account's proof against a state root: its tree path and the rest of what the root covers. */
export interface AccountProof {
  tree: StateProof
  evolvingNonce: Uint8Array
  candidateNonce: Uint8Array
  snapshotsHash: Uint8Array
}

/** A proof of `address` in the state of `tree` and `part` (of its account, or of its absence). */
export function proveAccount(tree: StateTree, part: ConsensusPart, address: Address): AccountProof {
  return {
    tree: tree.prove(accountTreeKey(address)),
    evolvingNonce: part.evolvingNonce,
    candidateNonce: part.candidateNonce,
    snapshotsHash: snapshotsHash(part),
  }
}

/**
 * True when `proof` shows that, in the state of root `stateRoot`, `address` holds exactly
 * `account` (or, with `account` undefined, has no account). Pure: for light wallets.
 */
export function verifyAccountProof(
  stateRoot: Uint8Array,
  address: Address,
  account: Account | undefined,
  proof: AccountProof,
): boolean {
  const { tree, evolvingNonce, candidateNonce } = proof
  if ([evolvingNonce, candidateNonce, proof.snapshotsHash].some((b) => b.length !== 32)) return false
  const key = accountTreeKey(address)
  const valueHash = account === undefined ? undefined : accountValueHash(account)
  const accountsRoot = provenRoot(key, valueHash, tree)
  if (accountsRoot === undefined) return false
  return equalBytes(combine(accountsRoot, evolvingNonce, candidateNonce, proof.snapshotsHash), stateRoot)
}

function combine(
  accountsRoot: Uint8Array,
  evolvingNonce: Uint8Array,
  candidateNonce: Uint8Array,
  endsHash: Uint8Array,
): Uint8Array {
  return hash(concatBytes(STATE_DOMAIN, accountsRoot, evolvingNonce, candidateNonce, endsHash))
}

/** The tree entries of `accounts`, packed: a million accounts make no object each. */
function treeEntries(accounts: Iterable<[Address, Account]>): PackedEntries {
  const entries = new PackedEntries()
  for (const [address, account] of accounts) {
    const at = entries.push()
    // The same hashes as accountTreeKey and accountValueHash, written in place.
    writeHash(keyInput(address), entries.bytes, at)
    writeHash(encodeAccount(account), entries.bytes, at + 32)
  }
  return entries
}
