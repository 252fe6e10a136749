import { ValidationError } from '../ledger/errors.ts'

/** Thrown when a block's issuer is not entitled to its slot (not the BFT leader, not a pool, VRF above threshold). */
export class NotLeaderError extends ValidationError {
  constructor(message: string) {
    super('NOT_LEADER', message)
  }
}

/** Thrown when a block's VRF proof does not verify or does not match its VRF output. */
export class BadVrfError extends ValidationError {
  constructor(message: string) {
    super('BAD_VRF', message)
  }
}

/** Thrown when a block's slot is further in the future than the allowed clock skew. */
export class FutureSlotError extends ValidationError {
  constructor(message: string) {
    super('FUTURE_SLOT', message)
  }
}

/** Thrown when a block's protocol version is not the chain's. */
export class ProtocolVersionError extends ValidationError {
  constructor(message: string) {
    super('BAD_PROTOCOL_VERSION', message)
  }
}

/** Thrown when an issuer already has the most blocks kept for one slot and another would not become the best chain. */
export class TooManyVariantsError extends ValidationError {
  constructor(message: string) {
    super('TOO_MANY_VARIANTS', message)
  }
}
