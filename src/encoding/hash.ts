import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'

/** A hasher in its initial state, copied into `work` for each hash: no hasher is built per call. */
const initial = sha256.create()
const work = sha256.create()

/** SHA-256, the hash of every identifier in pp-node (sync, identical on every platform). */
export function hash(data: Uint8Array): Uint8Array {
  return hashParts(data)
}

/** SHA-256 of `parts` joined, without joining them first. */
export function hashParts(...parts: Uint8Array[]): Uint8Array {
  initial._cloneInto(work)
  for (const part of parts) work.update(part)
  return work.digest()
}

/** Lowercase hex of bytes. */
export const toHex = bytesToHex

/** Parses lowercase or uppercase hex; undefined when it is not even-length hex. */
export function fromHex(text: string): Uint8Array | undefined {
  try {
    return hexToBytes(text)
  } catch {
    return undefined
  }
}

/** True when two byte arrays hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
