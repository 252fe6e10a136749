import { concatBytes } from '@noble/hashes/utils.js'
import { equalBytes, hash, toHex } from '../encoding/hash.ts'
import type { Genesis } from '../genesis.ts'
import { type Address, addressOf } from './address.ts'
import { type Block, bodyHash } from './block.ts'
import {
  BadAmountError,
  BadNonceError,
  BadParentError,
  BlockTooLargeError,
  BodyHashMismatchError,
  DuplicateTxError,
  InsufficientBalanceError,
  MemoTooLargeError,
  SenderKeyMismatchError,
  SlotNotIncreasingError,
  TooManyTxsError,
  UnknownSenderError,
  WrongChainError,
} from './errors.ts'
import { type Account, type LedgerState, stakeSnapshot } from './ledger-state.ts'
import { MAX_MEMO_BYTES, type Transaction } from './transaction.ts'

const short = (bytes: Uint8Array): string => toHex(bytes.subarray(0, 6))

/**
 * Checks one transaction against the accounts and applies it to `accounts` in place (the caller
 * owns the map). Signatures are checked beforehand, in batch. Throws the rule it breaks.
 */
export function applyTransaction(
  accounts: Map<Address, Account>,
  tx: Transaction,
  genesis: Genesis,
  feeTo: Address,
): void {
  const { body } = tx
  const id = short(tx.hash)
  if (body.chainId !== genesis.chainId) {
    throw new WrongChainError(`tx ${id} is for chain "${body.chainId}", this is "${genesis.chainId}"`)
  }
  if (addressOf(tx.publicKey) !== body.from) {
    throw new SenderKeyMismatchError(`tx ${id}: its public key does not own ${body.from}`)
  }
  const amount = body.type === 'transfer' ? body.amount : 0n
  if (body.type === 'transfer' && amount <= 0n)
    throw new BadAmountError(`tx ${id}: amount must be > 0, is ${amount}`)
  if (body.fee < 0n) throw new BadAmountError(`tx ${id}: fee must be ≥ 0, is ${body.fee}`)
  if (body.type === 'transfer' && body.memo !== undefined) {
    const size = new TextEncoder().encode(body.memo).length
    if (size > MAX_MEMO_BYTES)
      throw new MemoTooLargeError(`tx ${id}: memo is ${size} bytes, limit ${MAX_MEMO_BYTES}`)
  }
  const sender = accounts.get(body.from)
  if (sender === undefined) throw new UnknownSenderError(`tx ${id}: sender ${body.from} has no account`)
  if (body.nonce !== sender.nonce) {
    const why = body.nonce < sender.nonce ? 'already used (replay)' : 'ahead of the account'
    throw new BadNonceError(`tx ${id}: nonce ${body.nonce} is ${why}; the next nonce is ${sender.nonce}`)
  }
  const cost = amount + body.fee
  if (sender.balance < cost) {
    throw new InsufficientBalanceError(`tx ${id}: ${body.from} has ${sender.balance}, needs ${cost}`)
  }
  const debited: Account = { ...sender, balance: sender.balance - cost, nonce: sender.nonce + 1 }
  if (body.type === 'register-pool') debited.vrfKey = body.vrfKey
  accounts.set(body.from, debited)
  if (body.type === 'transfer') credit(accounts, body.to, amount)
  if (body.fee > 0n) credit(accounts, feeTo, body.fee)
}

function credit(accounts: Map<Address, Account>, to: Address, amount: bigint): void {
  const account = accounts.get(to) ?? { balance: 0n, nonce: 0 }
  accounts.set(to, { ...account, balance: account.balance + amount })
}

/** Checks a block's size, transaction count, body hash and duplicates, and its link to the tip. */
export function checkBlockShape(state: LedgerState, block: Block, genesis: Genesis): void {
  const { header } = block
  if (block.size > genesis.maxBlockBytes) {
    throw new BlockTooLargeError(`block is ${block.size} bytes, limit ${genesis.maxBlockBytes}`)
  }
  if (block.txs.length > genesis.maxTxPerBlock) {
    throw new TooManyTxsError(`block has ${block.txs.length} transactions, limit ${genesis.maxTxPerBlock}`)
  }
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
  if (!equalBytes(bodyHash(block.txs), header.bodyHash)) {
    throw new BodyHashMismatchError(`block ${header.index}: body hash does not match its transactions`)
  }
  const seen = new Set<string>()
  for (const tx of block.txs) {
    const id = toHex(tx.hash)
    if (seen.has(id)) throw new DuplicateTxError(`block ${header.index}: tx ${id.slice(0, 12)} appears twice`)
    seen.add(id)
  }
}

/**
 * The ledger's state transition: the state after `block`, or the first rule it breaks. Pure: the
 * input state is not changed. Signatures and consensus rules are checked elsewhere, before.
 */
export function applyBlock(state: LedgerState, block: Block, genesis: Genesis): LedgerState {
  checkBlockShape(state, block, genesis)
  const { header } = block
  const accounts = new Map(state.accounts)
  const feeTo = addressOf(header.issuer)
  block.txs.forEach((tx, i) => {
    try {
      applyTransaction(accounts, tx, genesis, feeTo)
    } catch (err) {
      if (err instanceof Error) err.message = `block ${header.index}, tx #${i}: ${err.message}`
      throw err
    }
  })
  const tipEpoch = Math.floor(Math.max(state.tip.slot, 0) / genesis.epochLength)
  const epoch = Math.floor(header.slot / genesis.epochLength)
  let epochEnds = state.epochEnds
  if (epoch > tipEpoch) {
    const ended = {
      firstEpoch: tipEpoch,
      lastEpoch: epoch - 1,
      snapshot: stakeSnapshot(state.accounts, state.evolvingNonce),
    }
    epochEnds = [...state.epochEnds.slice(-1), ended]
  }
  const evolvingNonce =
    header.vrfOutput.length > 0
      ? hash(concatBytes(state.evolvingNonce, header.vrfOutput))
      : state.evolvingNonce
  return {
    accounts,
    tip: { index: header.index, slot: header.slot, hash: block.hash },
    evolvingNonce,
    epochEnds,
  }
}
