import { digest } from '@chainsafe/as-sha256'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'

/** Parts are joined here before hashing when they fit (leaves, keys, small records): no buffer per call. */
const scratch = new Uint8Array(1024)

/** SHA-256, the hash of every identifier in pp-node (sync, identical on every platform; WebAssembly). */
export function hash(data: Uint8Array): Uint8Array {
  // A copy: as-sha256 may hand out a view of a shared pool, which must never be transferred or kept whole.
  const out = new Uint8Array(32)
  out.set(digest(data))
  return out
}

/** Writes SHA-256 of `data` into `into` at `offset` (no array per hash, for many at once). */
export function writeHash(data: Uint8Array, into: Uint8Array, offset: number): void {
  into.set(digest(data), offset)
}

/** SHA-256 of `parts` joined. */
export function hashParts(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  if (length > scratch.length) {
    const joined = new Uint8Array(length)
    joinInto(joined, parts)
    return hash(joined)
  }
  joinInto(scratch, parts)
  return hash(scratch.subarray(0, length))
}

function joinInto(into: Uint8Array, parts: readonly Uint8Array[]): void {
  let at = 0
  for (const part of parts) {
    into.set(part, at)
    at += part.length
  }
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
