import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, concatBytes } from '@noble/curves/utils.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { BoundedMap } from '../../src/bounded-map.ts'
import type { CryptoPort, SignedItem } from '../../src/ports.ts'
import { VerifyWorkers } from './verify-workers.ts'

const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])
const ALGORITHM = { name: 'Ed25519' }
const KEY_CACHE_LIMIT = 4096
const publicKeys = new BoundedMap<string, Promise<CryptoKey>>(KEY_CACHE_LIMIT)

function hex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

function publicCryptoKey(raw: Uint8Array): Promise<CryptoKey> {
  const id = hex(raw)
  let key = publicKeys.get(id)
  if (key === undefined) {
    key = crypto.subtle.importKey('raw', raw as BufferSource, ALGORITHM, false, ['verify'])
    publicKeys.set(id, key)
  }
  return key
}

async function verifyWebCrypto(item: SignedItem): Promise<boolean> {
  if (item.publicKey.length !== 32 || item.signature.length !== 64) return false
  try {
    const key = await publicCryptoKey(item.publicKey)
    return await crypto.subtle.verify(
      ALGORITHM,
      key,
      item.signature as BufferSource,
      item.message as BufferSource,
    )
  } catch {
    return false
  }
}

const { Point } = ed25519
const L = Point.Fn.ORDER

/**
 * Strict cofactorless RFC 8032 verification: [S]B == R + [k]A with k = SHA-512(R || A || M) mod L. noble's
 * own `ed25519.verify` is cofactored ([8][S]B == [8]R + [8][k]A) and would accept signatures that OpenSSL
 * and BoringSSL refuse (speccheck cases 4 and 5), so it cannot be the fallback of a consensus node.
 */
function verifyNoble(item: SignedItem): boolean {
  const { publicKey, message, signature } = item
  if (publicKey.length !== 32 || signature.length !== 64) return false
  try {
    const s = bytesToNumberLE(signature.subarray(32))
    if (s >= L) return false
    // zip215 = false: y >= p and the (x = 0, sign = 1) alias are refused, so each point has one encoding.
    const a = Point.fromBytes(publicKey, false)
    const rBytes = signature.subarray(0, 32)
    const r = Point.fromBytes(rBytes, false)
    const k = bytesToNumberLE(sha512(concatBytes(rBytes, publicKey, message))) % L
    return Point.BASE.multiplyUnsafe(s).equals(r.add(a.multiplyUnsafe(k)))
  } catch {
    return false
  }
}

/** Ed25519 in pure JS (@noble/curves), verifying with the strict cofactorless equation; the WebCrypto-less fallback. */
export const nobleCrypto: CryptoPort = {
  publicKey: async (secret) => ed25519.getPublicKey(secret),
  sign: async (secret, message) => ed25519.sign(message, secret),
  verify: async (publicKey, message, signature) => verifyNoble({ publicKey, message, signature }),
  verifyBatch: async (items) => items.map(verifyNoble),
  digest: async (data) => sha256(data),
}

/** True when this browser's WebCrypto implements Ed25519 (Chromium 137+, Firefox 129+, Safari 17+). */
async function hasWebCryptoEd25519(): Promise<boolean> {
  try {
    await crypto.subtle.importKey('raw', new Uint8Array(32).fill(1), ALGORITHM, false, ['verify'])
    return true
  } catch {
    return false
  }
}

/** The page's verification workers, made when the first WebCrypto platform is built and shared by its nodes. */
let workers: VerifyWorkers | undefined

/** Workers for batches: one per core, up to four (without Worker support, batches stay on the page). */
function verifyWorkers(): VerifyWorkers {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1
  // A node in a worker leaves a core to the page it serves (its own thread keeps one busy too).
  const spare = 'document' in globalThis ? 0 : 1
  workers ??= new VerifyWorkers(Math.max(1, Math.min(4, cores - spare)), (items) =>
    Promise.all(items.map(verifyWebCrypto)),
  )
  return workers
}

/**
 * Ed25519 through WebCrypto where the browser has it, @noble/curves otherwise. Batches are verified
 * on Web Workers (WebCrypto verifies on the calling thread: a page would stall on a synced run).
 */
export async function browserCrypto(): Promise<CryptoPort> {
  if (!(await hasWebCryptoEd25519())) return nobleCrypto
  const pool = verifyWorkers()
  return {
    publicKey: async (secret) => ed25519.getPublicKey(secret),
    sign: async (secret, message) => {
      const pkcs8 = new Uint8Array(48)
      pkcs8.set(PKCS8_PREFIX)
      pkcs8.set(secret, 16)
      const key = await crypto.subtle.importKey('pkcs8', pkcs8, ALGORITHM, false, ['sign'])
      return new Uint8Array(await crypto.subtle.sign(ALGORITHM, key, message as BufferSource))
    },
    verify: (publicKey, message, signature) => verifyWebCrypto({ publicKey, message, signature }),
    verifyBatch: (items) => pool.verifyBatch(items),
    // WebCrypto's SHA-256 is native code: a block body in ~20 µs, against ~350 µs in JS in Chromium.
    digest: async (data) => new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource)),
  }
}
