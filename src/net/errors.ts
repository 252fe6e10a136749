import { PPError } from '../errors.ts'

/** Thrown when a peer does not answer a request in time. */
export class RequestTimeoutError extends PPError {
  constructor(message: string) {
    super('REQUEST_TIMEOUT', message)
  }
}

/** Thrown when a request or response is over its size limit. */
export class MessageTooLargeError extends PPError {
  constructor(message: string) {
    super('MESSAGE_TOO_LARGE', message)
  }
}

/** Thrown when a peer cannot be reached or the stream to it fails. */
export class PeerUnreachableError extends PPError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PEER_UNREACHABLE', message, options)
  }
}

/** Thrown when the peer answered a request with an error (it found our request invalid, or failed). */
export class RequestRefusedError extends PPError {
  constructor(message: string) {
    super('REQUEST_REFUSED', message)
  }
}

/** Thrown when a peer follows a chain with another genesis, or shares no block with us. */
export class WrongChainPeerError extends PPError {
  constructor(message: string) {
    super('WRONG_CHAIN_PEER', message)
  }
}
