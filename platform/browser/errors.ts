import { PPError } from '../../src/errors.ts'

/** Thrown when the relay's HTTP API cannot be reached or answers nonsense. */
export class RelayUnreachableError extends PPError {
  constructor(message: string) {
    super('RELAY_UNREACHABLE', message)
  }
}

/** Thrown when the node's worker cannot start here (no Worker, a refused script, a policy). */
export class WorkerUnavailableError extends PPError {
  constructor(message: string) {
    super('WORKER_UNAVAILABLE', message)
  }
}

/** Thrown when no relay serves the chain the page pinned by its genesis hash (or the genesis given has another hash). */
export class GenesisMismatchError extends PPError {
  constructor(message: string) {
    super('GENESIS_MISMATCH', message)
  }
}

/** Thrown when the node's worker does not answer a call within its deadline (the worker may hang: see `restart()`). */
export class WorkerTimeoutError extends PPError {
  constructor(method: string, ms: number) {
    super('WORKER_TIMEOUT', `the node's worker did not answer ${method}() within ${ms} ms`)
  }
}
