import * as dagCbor from '@ipld/dag-cbor'
import { PPError } from '../errors.ts'

/** Thrown when bytes are not valid canonical DAG-CBOR or do not have the expected shape. */
export class DecodeError extends PPError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DECODE_FAILED', message, options)
  }
}

/** Deterministic encoding (DAG-CBOR: sorted map keys, minimal integers) of plain data. */
export function encodeCbor(value: unknown): Uint8Array {
  return dagCbor.encode(value)
}

/** Decodes DAG-CBOR, refusing anything over `maxBytes` before touching it. */
export function decodeCbor(bytes: Uint8Array, maxBytes: number, what: string): unknown {
  if (bytes.length > maxBytes)
    throw new DecodeError(`${what} is ${bytes.length} bytes, over the ${maxBytes} limit`)
  try {
    return dagCbor.decode(bytes)
  } catch (err) {
    throw new DecodeError(`${what} is not valid DAG-CBOR: ${(err as Error).message}`, { cause: err })
  }
}
