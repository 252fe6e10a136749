import { addressOf, parseAddress } from '../src/ledger/address.ts'
import { InsufficientBalanceError } from '../src/ledger/errors.ts'
import { signTransaction, type Transaction } from '../src/ledger/transaction.ts'
import type { PPNode } from '../src/node.ts'
import { FaucetEmptyError, FaucetRateLimitError } from './errors.ts'

/**
 * Devnet coins for new accounts: a fixed grant from a faucet account that is not a pool, at most
 * one per address and per client every `intervalMs`. Everything it ever grants is bounded by the
 * faucet account's balance (a tenth of the supply on devnets the relay makes), so no client can
 * buy a share of the stake that matters however many addresses it uses.
 */
export class Faucet {
  readonly grant: bigint
  private readonly node: PPNode
  private readonly secret: Uint8Array
  private readonly intervalMs: number
  private readonly last = new Map<string, number>()

  constructor(node: PPNode, secret: Uint8Array, options: { grant: bigint; intervalMs?: number }) {
    this.node = node
    this.secret = secret
    this.grant = options.grant
    this.intervalMs = options.intervalMs ?? 10_000
  }

  /** Sends one grant to `address`; throws FAUCET_RATE_LIMITED, FAUCET_EMPTY or the transfer's rejection. */
  async fund(address: string, client: string): Promise<Transaction> {
    const to = parseAddress(address)
    const now = Date.now()
    const keys = [`a:${to}`, `c:${client}`]
    for (const key of keys) {
      const wait = (this.last.get(key) ?? -Infinity) + this.intervalMs - now
      if (wait > 0)
        throw new FaucetRateLimitError(
          `the faucet was used moments ago; try again in ${Math.ceil(wait / 1000)} s`,
        )
    }
    // Reserved before the first await: requests running in parallel see it and are refused.
    const before = keys.map((key) => this.last.get(key))
    for (const key of keys) this.last.set(key, now)
    if (this.last.size > 10_000) this.last.delete(this.last.keys().next().value as string)
    try {
      const crypto = this.node.platform.crypto
      const from = addressOf(await crypto.publicKey(this.secret))
      const body = {
        type: 'transfer' as const,
        chainId: this.node.genesis.chainId,
        from,
        to,
        amount: this.grant,
        fee: 0n,
        nonce: this.node.nextNonce(from),
        memo: 'faucet',
      }
      const tx = await signTransaction(body, this.secret, crypto)
      await this.node.submitTransaction(tx)
      return tx
    } catch (err) {
      for (const [i, key] of keys.entries()) {
        const previous = before[i]
        if (previous === undefined) this.last.delete(key)
        else this.last.set(key, previous)
      }
      if (err instanceof InsufficientBalanceError)
        throw new FaucetEmptyError('the faucet has given away all it holds on this devnet')
      throw err
    }
  }
}
