import { noncesAfter } from '../consensus/consensus-view.ts'
import { isValidVrfKey } from '../crypto/vrf.ts'
import { equalBytes, toHex } from '../encoding/hash.ts'
import type { Genesis } from '../genesis.ts'
import type { AccountWriter } from './account-layers.ts'
import { type Address, addressOf, isOwnedBy } from './address.ts'
import { type Block, type BlockHeader, bodyHashOf, STATE_ROOT_VERSION } from './block.ts'
import {
  BadAmountError,
  BadNonceError,
  BadParentError,
  BadVrfKeyError,
  BlockTooLargeError,
  BodyHashMismatchError,
  DuplicateTxError,
  FeeTooLowError,
  InsufficientBalanceError,
  MemoTooLargeError,
  SenderKeyMismatchError,
  SlotNotIncreasingError,
  StateRootMismatchError,
  TooManyTxsError,
  UnknownSenderError,
  WrongChainError,
} from './errors.ts'
import { type Account, type LedgerState, updateStake } from './ledger-state.ts'
import { nextAccountsTree, stateRootOf } from './state-root.ts'
import { MAX_MEMO_BYTES, type Transaction } from './transaction.ts'

const short = (bytes: Uint8Array): string => toHex(bytes.subarray(0, 6))

/**
 * Checks one transaction against the accounts and applies it to `accounts` in place (the caller
 * owns the map). Signatures are checked beforehand, in batch. Throws the rule it breaks.
 */
export function applyTransaction(
  accounts: AccountWriter,
  tx: Transaction,
  genesis: Genesis,
  feeTo: Address,
  vrfKeyOwners: Map<string, Address>,
): void {
  const { body } = tx
  // Named only in an error: a valid transaction costs no hex.
  const id = (): string => short(tx.hash)
  if (body.chainId !== genesis.chainId) {
    throw new WrongChainError(`tx ${id()} is for chain "${body.chainId}", this is "${genesis.chainId}"`)
  }
  if (!isOwnedBy(body.from, tx.publicKey)) {
    throw new SenderKeyMismatchError(`tx ${id()}: its public key does not own ${body.from}`)
  }
  const amount = body.type === 'transfer' ? body.amount : 0n
  if (body.type === 'transfer' && amount <= 0n)
    throw new BadAmountError(`tx ${id()}: amount must be > 0, is ${amount}`)
  if (body.fee < 0n) throw new BadAmountError(`tx ${id()}: fee must be ≥ 0, is ${body.fee}`)
  if (body.fee < genesis.minFee)
    throw new FeeTooLowError(`tx ${id()}: fee ${body.fee} is below the chain's minimum fee ${genesis.minFee}`)
  if (body.type === 'transfer' && body.memo !== undefined) {
    const size = new TextEncoder().encode(body.memo).length
    if (size > MAX_MEMO_BYTES)
      throw new MemoTooLargeError(`tx ${id()}: memo is ${size} bytes, limit ${MAX_MEMO_BYTES}`)
  }
  const sender = accounts.get(body.from)
  if (sender === undefined) throw new UnknownSenderError(`tx ${id()}: sender ${body.from} has no account`)
  if (body.nonce !== sender.nonce) {
    const why = body.nonce < sender.nonce ? 'already used (replay)' : 'ahead of the account'
    throw new BadNonceError(`tx ${id()}: nonce ${body.nonce} is ${why}; the next nonce is ${sender.nonce}`)
  }
  const cost = amount + body.fee
  if (sender.balance < cost) {
    throw new InsufficientBalanceError(`tx ${id()}: ${body.from} has ${sender.balance}, needs ${cost}`)
  }
  const debited: Account = { ...sender, balance: sender.balance - cost, nonce: sender.nonce + 1 }
  if (body.type === 'register-pool') {
    registerVrfKey(vrfKeyOwners, body.vrfKey, body.from, sender.vrfKey, id())
    debited.vrfKey = body.vrfKey
  }
  accounts.set(body.from, debited)
  if (body.type === 'transfer') credit(accounts, body.to, amount)
  if (body.fee > 0n) credit(accounts, feeTo, body.fee)
}

/** Records `owner`'s new VRF key (freeing its old one); refuses invalid keys and keys of other pools. */
function registerVrfKey(
  owners: Map<string, Address>,
  vrfKey: Uint8Array,
  owner: Address,
  previous: Uint8Array | undefined,
  id: string,
): void {
  if (!isValidVrfKey(vrfKey)) throw new BadVrfKeyError(`tx ${id}: the VRF key is not a valid curve point`)
  const key = toHex(vrfKey)
  const holder = owners.get(key)
  if (holder !== undefined && holder !== owner)
    throw new BadVrfKeyError(`tx ${id}: VRF key ${key.slice(0, 12)} is already registered by ${holder}`)
  if (previous !== undefined) owners.delete(toHex(previous))
  owners.set(key, owner)
}

function credit(accounts: AccountWriter, to: Address, amount: bigint): void {
  const account = accounts.get(to) ?? { balance: 0n, nonce: 0 }
  accounts.set(to, { ...account, balance: account.balance + amount })
}

/** Blocks whose contents passed checkBlockContents (a block object never changes after decoding). */
const contentsChecked = new WeakSet<Block>()

/**
 * Checks what a block says about itself, without any chain state: size, transaction count, body
 * hash, no transaction twice. Cheap next to signatures, so it runs first.
 */
export function checkBlockContents(block: Block, genesis: Genesis): void {
  if (contentsChecked.has(block)) return
  const { header } = block
  if (block.size > genesis.maxBlockBytes) {
    throw new BlockTooLargeError(`block is ${block.size} bytes, limit ${genesis.maxBlockBytes}`)
  }
  if (block.txs.length > genesis.maxTxPerBlock) {
    throw new TooManyTxsError(`block has ${block.txs.length} transactions, limit ${genesis.maxTxPerBlock}`)
  }
  if (!equalBytes(bodyHashOf(block), header.bodyHash)) {
    throw new BodyHashMismatchError(`block ${header.index}: body hash does not match its transactions`)
  }
  const seen = new Set<string>()
  for (const tx of block.txs) {
    const id = toHex(tx.hash)
    if (seen.has(id)) throw new DuplicateTxError(`block ${header.index}: tx ${id.slice(0, 12)} appears twice`)
    seen.add(id)
  }
  contentsChecked.add(block)
}

/** Checks that a block extends the tip of `state`: parent hash, index, and a later slot. */
export function checkBlockLink(state: LedgerState, block: Block): void {
  const { header } = block
  if (!equalBytes(header.prevHash, state.tip.hash) || header.index !== state.tip.index + 1) {
    throw new BadParentError(
      `block ${header.index} (parent ${short(header.prevHash)}) does not extend tip ${state.tip.index} (${short(state.tip.hash)})`,
    )
  }
  if (header.slot <= state.tip.slot) {
    throw new SlotNotIncreasingError(
      `block ${header.index}: slot ${header.slot} is not after its parent's ${state.tip.slot}`,
    )
  }
}

/**
 * The ledger's state transition: the state after `block`, or the first rule it breaks. Pure: the
 * input state is not changed. Signatures and consensus rules are checked elsewhere, before.
 */
export function applyBlock(state: LedgerState, block: Block, genesis: Genesis): LedgerState {
  checkBlockContents(block, genesis)
  checkBlockLink(state, block)
  const next = stateAfter(state, block.header, block.txs, block.hash, genesis)
  checkStateRoot(next, block.header, genesis)
  return next
}

/**
 * The state after a block of `header` and `txs` whose hash is `blockHash`, its contents and link
 * already checked (a producer calls it to learn the state root its header must carry).
 */
export function stateAfter(
  state: LedgerState,
  header: Omit<BlockHeader, 'stateRoot'>,
  txs: readonly Transaction[],
  blockHash: Uint8Array,
  genesis: Genesis,
): LedgerState {
  const accounts = state.accounts.child()
  // Copied only when the block registers a pool: most blocks leave the VRF key index as it is.
  const registers = txs.some((tx) => tx.body.type === 'register-pool')
  const vrfKeyOwners = registers ? new Map(state.vrfKeyOwners) : (state.vrfKeyOwners as Map<string, Address>)
  const feeTo = addressOf(header.issuer)
  txs.forEach((tx, i) => {
    try {
      applyTransaction(accounts, tx, genesis, feeTo, vrfKeyOwners)
    } catch (err) {
      if (err instanceof Error) err.message = `block ${header.index}, tx #${i}: ${err.message}`
      throw err
    }
  })
  const part = {
    ...noncesAfter(state, header, genesis),
    stake: updateStake(state.stake, accounts.changes()),
  }
  const tree = nextAccountsTree(state.tree, accounts.changes())
  return {
    accounts,
    tip: { index: header.index, slot: header.slot, hash: blockHash },
    vrfKeyOwners,
    ...part,
    tree,
    stateRoot: stateRootOf(tree.root, part),
  }
}

/**
 * On a chain of protocol version 2 or later a header must carry the root of the state after its
 * block; on one of version 1 (from before state roots) it carries none.
 */
function checkStateRoot(state: LedgerState, header: BlockHeader, genesis: Genesis): void {
  const { stateRoot } = header
  if (genesis.protocolVersion < STATE_ROOT_VERSION) {
    if (stateRoot !== undefined)
      throw new StateRootMismatchError(`block ${header.index}: a version 1 header carries no state root`)
    return
  }
  if (stateRoot === undefined || !equalBytes(stateRoot, state.stateRoot)) {
    throw new StateRootMismatchError(
      `block ${header.index}: header state root ${stateRoot ? short(stateRoot) : 'missing'}, the block leads to ${short(state.stateRoot)}`,
    )
  }
}
