import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto'
import { BoundedMap } from '../../src/bounded-map.ts'
import type { CryptoPort, SignedItem } from '../../src/ports.ts'

// DER prefixes that wrap raw 32-byte ed25519 keys as PKCS#8 / SPKI, the forms node:crypto imports.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const KEY_CACHE_LIMIT = 4096

const publicKeys = new BoundedMap<string, KeyObject>(KEY_CACHE_LIMIT)

function publicKeyObject(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw).toString('hex')
  let key = publicKeys.get(id)
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
    publicKeys.set(id, key)
  }
  return key
}

function privateKeyObject(secret: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' })
}

function verifyOne(item: SignedItem): boolean {
  if (item.publicKey.length !== 32 || item.signature.length !== 64) return false
  try {
    return verify(null, item.message, publicKeyObject(item.publicKey), item.signature)
  } catch {
    return false
  }
}

/** Verifies on libuv's thread pool (both cores) through node:crypto's callback form. */
function verifyAsync(item: SignedItem): Promise<boolean> {
  if (item.publicKey.length !== 32 || item.signature.length !== 64) return Promise.resolve(false)
  return new Promise((resolve) => {
    try {
      verify(null, item.message, publicKeyObject(item.publicKey), item.signature, (err, ok) =>
        resolve(err === null && ok),
      )
    } catch {
      resolve(false)
    }
  })
}

/** Small batches are cheaper on the calling thread than a round trip through the thread pool. */
const THREADPOOL_MIN_BATCH = 64

/** Ed25519 from node:crypto (OpenSSL). */
export const nodeCrypto: CryptoPort = {
  publicKey: async (secret) =>
    new Uint8Array(
      createPublicKey(privateKeyObject(secret))
        .export({ format: 'der', type: 'spki' })
        .subarray(SPKI_PREFIX.length),
    ),
  sign: async (secret, message) => new Uint8Array(sign(null, message, privateKeyObject(secret))),
  verify: async (publicKey, message, signature) => verifyOne({ publicKey, message, signature }),
  verifyBatch: async (items) =>
    items.length < THREADPOOL_MIN_BATCH ? items.map(verifyOne) : Promise.all(items.map(verifyAsync)),
  digest: async (data) => new Uint8Array(createHash('sha256').update(data).digest()),
}
