import { equalBytes, fromHex, hash, toHex } from '../encoding/hash.ts'
import { InvalidAddressError } from './errors.ts'

/**
 * An account address: "pp" + hex(first 20 bytes of SHA-256(ed25519 public key)) + hex(4-byte
 * checksum = first 4 bytes of SHA-256 of those 20 bytes). 50 characters; the checksum catches typos.
 */
export type Address = string

function checksum(id: Uint8Array): string {
  return toHex(hash(id).subarray(0, 4))
}

/** The address owned by an ed25519 public key. */
export function addressOf(publicKey: Uint8Array): Address {
  const id = hash(publicKey).subarray(0, 20)
  return `pp${toHex(id)}${checksum(id)}`
}

/** Lately checked senders and recipients, as they recur from block to block (pure checks, remembered). */
const REMEMBERED = 16_384
const owners = new Map<Address, Uint8Array>()
const wellFormed = new Set<Address>()

/** Forgets the oldest entry of a full memo. */
function makeRoom(memo: Map<Address, unknown> | Set<Address>): void {
  if (memo.size >= REMEMBERED) memo.delete(memo.keys().next().value as Address)
}

/** True when `address` (well-formed) belongs to `publicKey`: one hash, its checksum needs none. */
export function isOwnedBy(address: Address, publicKey: Uint8Array): boolean {
  const known = owners.get(address)
  if (known !== undefined) return equalBytes(known, publicKey)
  const owned = address.slice(2, 42) === toHex(hash(publicKey).subarray(0, 20))
  if (owned) {
    makeRoom(owners)
    owners.set(address, publicKey.slice())
  }
  return owned
}

const ADDRESS_FORM = /^pp[0-9a-f]{48}$/

/** True when `text` is a well-formed address with a matching checksum. */
export function isAddress(text: unknown): text is Address {
  if (typeof text !== 'string') return false
  if (wellFormed.has(text)) return true
  if (!ADDRESS_FORM.test(text) || checksum(fromHex(text.slice(2, 42))!) !== text.slice(42)) return false
  makeRoom(wellFormed)
  wellFormed.add(text)
  return true
}

/** Returns the address unchanged, or throws InvalidAddressError saying what is wrong with it. */
export function parseAddress(text: unknown, field = 'address'): Address {
  if (isAddress(text)) return text
  const shown = typeof text === 'string' ? `"${text.slice(0, 60)}"` : typeof text
  throw new InvalidAddressError(
    `${field} ${shown} is not a pp-node address (pp + 48 lowercase hex with checksum)`,
  )
}
