import { PPError } from '../src/errors.ts'
import { addressOf, parseAddress } from '../src/ledger/address.ts'
import { signTransaction, type Transaction } from '../src/ledger/transaction.ts'
import type { PPNode } from '../src/node.ts'

/** Thrown when an address or client asks the faucet again too soon. */
export class FaucetRateLimitError extends PPError {
  constructor(message: string) {
    super('FAUCET_RATE_LIMITED', message)
  }
}

/**
 * Devnet coins for new accounts, rate-limited per address and client. By default each grant is a
 * tenth of the faucet's balance, so a browser tab gets enough stake to produce blocks soon.
 */
export class Faucet {
  readonly amount?: bigint
  private readonly node: PPNode
  private readonly secret: Uint8Array
  private readonly intervalMs: number
  private readonly last = new Map<string, number>()

  constructor(node: PPNode, secret: Uint8Array, options: { amount?: bigint; intervalMs?: number } = {}) {
    this.node = node
    this.secret = secret
    if (options.amount !== undefined) this.amount = options.amount
    this.intervalMs = options.intervalMs ?? 10_000
  }

  /** Sends `amount` to `address` from the faucet account; throws FAUCET_RATE_LIMITED or the transfer's rejection. */
  async fund(address: string, client: string): Promise<Transaction> {
    const to = parseAddress(address)
    const now = Date.now()
    for (const key of [`a:${to}`, `c:${client}`]) {
      const wait = (this.last.get(key) ?? -Infinity) + this.intervalMs - now
      if (wait > 0)
        throw new FaucetRateLimitError(
          `the faucet was used moments ago; try again in ${Math.ceil(wait / 1000)} s`,
        )
    }
    const crypto = this.node.platform.crypto
    const from = addressOf(await crypto.publicKey(this.secret))
    const body = {
      type: 'transfer' as const,
      chainId: this.node.genesis.chainId,
      from,
      to,
      amount: this.amount ?? this.node.getAccount(from).balance / 10n,
      fee: 0n,
      nonce: this.node.nextNonce(from),
      memo: 'faucet',
    }
    const tx = await signTransaction(body, this.secret, crypto)
    await this.node.submitTransaction(tx)
    this.last.set(`a:${to}`, now)
    this.last.set(`c:${client}`, now)
    if (this.last.size > 10_000) this.last.delete(this.last.keys().next().value as string)
    return tx
  }
}
