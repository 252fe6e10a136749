import { addressOf, parseAddress } from '../src/ledger/address.ts'
import { InsufficientBalanceError } from '../src/ledger/errors.ts'
import { signTransaction, type Transaction } from '../src/ledger/transaction.ts'
import type { PPNode } from '../src/node.ts'
import { type RateLimit, RateLimiter } from '../src/rate-limiter.ts'
import { clientNetworkOf } from './client-address.ts'
import { FaucetEmptyError, FaucetRateLimitError } from './errors.ts'

/** Default grants per client network: 5 at once, then one every 12 minutes (5 an hour). */
export const FAUCET_NETWORK_LIMIT: RateLimit = { burst: 5, intervalMs: 720_000 }

/**
 * Devnet coins for new accounts: a fixed grant from a faucet account that is not a pool, at most
 * one per address and per client IP every `intervalMs`, and at most `network` grants per client
 * network (/24 for IPv4, /64 for IPv6: one host gets a whole /64, so its addresses count as one).
 * Everything it ever grants is bounded by the faucet account's balance (a tenth of the supply on
 * devnets the relay makes), so no client can buy a share of the stake that matters however many
 * addresses it uses.
 */
export class Faucet {
  readonly grant: bigint
  private readonly node: PPNode
  private readonly secret: Uint8Array
  private readonly limits: Array<[RateLimiter, (to: string, client: string) => string, string]>

  constructor(
    node: PPNode,
    secret: Uint8Array,
    options: { grant: bigint; intervalMs?: number; network?: RateLimit },
  ) {
    this.node = node
    this.secret = secret
    this.grant = options.grant
    const each = { burst: 1, intervalMs: options.intervalMs ?? 10_000 }
    this.limits = [
      [new RateLimiter(each), (to) => to, 'this address was funded moments ago'],
      [new RateLimiter(each), (_to, client) => client, 'the faucet was used from your address moments ago'],
      [
        new RateLimiter(options.network ?? FAUCET_NETWORK_LIMIT),
        (_to, client) => clientNetworkOf(client),
        'your network has had its share of the faucet for now',
      ],
    ]
  }

  /** Sends one grant to `address` for the client at IP `client`; throws FAUCET_RATE_LIMITED, FAUCET_EMPTY or the transfer's rejection. */
  async fund(address: string, client: string): Promise<Transaction> {
    const to = parseAddress(address)
    const keys = this.limits.map(([, keyOf]) => keyOf(to, client))
    for (const [i, [limiter, , why]] of this.limits.entries()) {
      const waitS = Math.ceil(limiter.wait(keys[i]) / 1000)
      if (waitS > 0) throw new FaucetRateLimitError(`${why}; try again in ${waitS} s`, waitS)
    }
    // Taken before the first await: requests running in parallel see it and are refused.
    for (const [i, [limiter]] of this.limits.entries()) limiter.take(keys[i])
    try {
      const crypto = this.node.platform.crypto
      const from = addressOf(await crypto.publicKey(this.secret))
      const body = {
        type: 'transfer' as const,
        chainId: this.node.genesis.chainId,
        from,
        to,
        amount: this.grant,
        fee: this.node.genesis.minFee, // the chain's minimum: a grant is a plain transfer
        nonce: this.node.nextNonce(from),
        memo: 'faucet',
      }
      const tx = await signTransaction(body, this.secret, crypto)
      await this.node.submitTransaction(tx)
      return tx
    } catch (err) {
      for (const [i, [limiter]] of this.limits.entries()) limiter.refund(keys[i])
      if (err instanceof InsufficientBalanceError)
        throw new FaucetEmptyError('the faucet has given away all it holds on this devnet')
      throw err
    }
  }
}
