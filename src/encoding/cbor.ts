import * as dagCbor from '@ipld/dag-cbor'
import { DecodeError } from '../errors.ts'

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
