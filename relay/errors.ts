import { PPError } from '../src/errors.ts'

/** Thrown for a request the API cannot serve; becomes `{error: {code, message}}` with its status. */
export class HttpError extends PPError {
  readonly status: number
  constructor(status: number, code: string, message: string) {
    super(code, message)
    this.status = status
  }
}

/** Thrown when an address, a client or its network asks the faucet again too soon. */
export class FaucetRateLimitError extends PPError {
  /** Seconds until the request may succeed (the `Retry-After` header). */
  readonly retryAfterS: number
  constructor(message: string, retryAfterS: number) {
    super('FAUCET_RATE_LIMITED', message)
    this.retryAfterS = retryAfterS
  }
}

/** Thrown when a client's network sends more requests (e.g. `POST /tx`) than the relay's rate limit. */
export class RequestRateLimitError extends PPError {
  /** Seconds until the request may succeed (the `Retry-After` header). */
  readonly retryAfterS: number
  constructor(message: string, retryAfterS: number) {
    super('RATE_LIMITED', message)
    this.retryAfterS = retryAfterS
  }
}

/** Thrown when the faucet account has less left than one grant. */
export class FaucetEmptyError extends PPError {
  constructor(message: string) {
    super('FAUCET_EMPTY', message)
  }
}
