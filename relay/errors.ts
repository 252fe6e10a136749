import { PPError } from '../src/errors.ts'

/** Thrown for a request the API cannot serve; becomes `{error: {code, message}}` with its status. */
export class HttpError extends PPError {
  readonly status: number
  constructor(status: number, code: string, message: string) {
    super(code, message)
    this.status = status
  }
}

/** Thrown when an address or client asks the faucet again too soon. */
export class FaucetRateLimitError extends PPError {
  constructor(message: string) {
    super('FAUCET_RATE_LIMITED', message)
  }
}

/** Thrown when the faucet account has less left than one grant. */
export class FaucetEmptyError extends PPError {
  constructor(message: string) {
    super('FAUCET_EMPTY', message)
  }
}
