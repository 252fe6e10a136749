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

/** Thrown when a peer answers a request slower than the minimum rate (a trickle). */
export class RequestTooSlowError extends PPError {
  constructor(message: string) {
    super('REQUEST_TOO_SLOW', message)
  }
}

/** Thrown when a peer claimed a longer chain than ours and then did not serve it. */
export class UnbackedTipError extends PPError {
  constructor(message: string) {
    super('UNBACKED_TIP', message)
  }
}

/** Thrown when a stalled sync gives up its slot to a peer waiting for one. */
export class SyncPreemptedError extends PPError {
  constructor(message: string) {
    super('SYNC_PREEMPTED', message)
  }
}

/** Thrown when a peer has no snapshot of the block asked, or when no peer has it in time. */
export class SnapshotUnavailableError extends PPError {
  constructor(message: string) {
    super('SNAPSHOT_UNAVAILABLE', message)
  }
}
