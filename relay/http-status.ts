import { PPError } from '../src/errors.ts'
import { HttpError } from './errors.ts'

/** Conditions of the node, not of the request: retrying later may work. */
const UNAVAILABLE = new Set([
  'NODE_NOT_RUNNING',
  'STORE_FULL',
  'STORE_UNAVAILABLE',
  'MEMPOOL_FULL',
  'FAUCET_EMPTY',
])
const TOO_MANY = new Set(['FAUCET_RATE_LIMITED', 'RATE_LIMITED', 'SENDER_LIMIT'])

/**
 * The HTTP status of an error: its own for HttpError, 503 when the node cannot serve now (store
 * full, mempool full, stopping), 429 for rate limits, 410 for blocks this node pruned, 400 for
 * every other refusal of the request's content (a PPError), 500 for anything unexpected.
 */
export function httpStatusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status
  if (!(err instanceof PPError)) return 500
  if (UNAVAILABLE.has(err.code)) return 503
  if (TOO_MANY.has(err.code)) return 429
  if (err.code === 'HISTORY_PRUNED') return 410
  return 400
}
