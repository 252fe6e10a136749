import { hash } from '../../src/encoding/hash.ts'
import { type Genesis, parseGenesis } from '../../src/genesis.ts'
import { addressOf } from '../../src/ledger/address.ts'
import { stateAfter } from '../../src/ledger/apply-block.ts'
import { type Block, bodyHash, STATE_ROOT_VERSION, signBlock } from '../../src/ledger/block.ts'
import type { LedgerState } from '../../src/ledger/ledger-state.ts'
import { signTransaction, type Transaction, type TxBody } from '../../src/ledger/transaction.ts'
import type { CryptoPort } from '../../src/ports.ts'

/** A test account: its secret, public key and address. */
export interface TestKey {
  secret: Uint8Array
  publicKey: Uint8Array
  address: string
}

/** Deterministic test keys (secrets are hashes of fixed strings). */
export async function testKeys(n: number, crypto: CryptoPort, tag = 'key'): Promise<TestKey[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const secret = hash(new TextEncoder().encode(`pp-test-${tag}-${i}`))
      const publicKey = await crypto.publicKey(secret)
      return { secret, publicKey, address: addressOf(publicKey) }
    }),
  )
}

/** A BFT genesis where every key has `balance` and the first `producers` keys produce in turn. */
export function bftGenesis(keys: TestKey[], overrides: Record<string, unknown> = {}, producers = 1): Genesis {
  return parseGenesis({
    chainId: 'pp-test',
    genesisTime: 0,
    slotMs: 1000,
    epochLength: 10,
    k: 5,
    activeSlotCoeff: '1/2',
    maxBlockBytes: 64 * 1024,
    maxTxPerBlock: 100,
    mode: 'bft',
    protocolVersion: 1,
    balances: Object.fromEntries(keys.map((k) => [k.address, '1000000'])),
    bftKeys: keys
      .slice(0, producers)
      .map((k) => Array.from(k.publicKey, (b) => b.toString(16).padStart(2, '0')).join('')),
    ...overrides,
  })
}

/** Signs a transfer of `amount` from one key to another address. */
export function transfer(
  from: TestKey,
  to: string,
  amount: bigint,
  nonce: number,
  crypto: CryptoPort,
  extra: Partial<TxBody> = {},
): Promise<Transaction> {
  const body = {
    type: 'transfer',
    chainId: 'pp-test',
    from: from.address,
    to,
    amount,
    fee: 1n,
    nonce,
    ...extra,
  } as TxBody
  return signTransaction(body, from.secret, crypto)
}

/**
 * A block extending `state` with `txs`, signed by `issuer`, at `slot` (default: the next slot);
 * `lie` overrides its index or parent (a validly signed lie). With `genesis` of protocol version 2
 * or later, the header carries the state root the block leads to (or `lie.stateRoot`).
 */
export function nextBlock(
  state: LedgerState,
  txs: Transaction[],
  issuer: TestKey,
  crypto: CryptoPort,
  slot = state.tip.slot + 1,
  lie: { index?: number; prevHash?: Uint8Array; stateRoot?: Uint8Array; genesis?: Genesis } = {},
): Promise<Block> {
  const version = lie.genesis?.protocolVersion ?? 1
  const header = {
    index: lie.index ?? state.tip.index + 1,
    slot,
    prevHash: lie.prevHash ?? state.tip.hash,
    bodyHash: bodyHash(txs),
    issuer: issuer.publicKey,
    vrfOutput: new Uint8Array(0),
    vrfProof: new Uint8Array(0),
    protocolVersion: version,
  }
  if (lie.genesis === undefined || version < STATE_ROOT_VERSION)
    return signBlock(header, txs, issuer.secret, crypto)
  const stateRoot = lie.stateRoot ?? stateAfter(state, header, txs, new Uint8Array(32), lie.genesis).stateRoot
  return signBlock({ ...header, stateRoot }, txs, issuer.secret, crypto)
}

/** The code of the error a call throws (or rejects with); fails the test when it does not throw. */
export async function errorCode(call: () => unknown): Promise<string> {
  try {
    await call()
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${String(err)}`
  }
  throw new Error('expected an error, but the call succeeded')
}
