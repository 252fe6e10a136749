import { PPError } from '../../src/errors.ts'

/** Thrown when the relay's HTTP API cannot be reached or answers nonsense. */
export class RelayUnreachableError extends PPError {
  constructor(message: string) {
    super('RELAY_UNREACHABLE', message)
  }
}
