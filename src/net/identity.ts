import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { Platform } from '../ports.ts'

const KEY = 'peer-key'

/** The node's libp2p identity, kept in the platform store "identity" so the peer id survives restarts. */
export async function loadIdentity(platform: Platform, storeName = 'identity'): Promise<PrivateKey> {
  const store = await platform.openStore(storeName)
  try {
    const saved = await store.get(KEY)
    if (saved !== undefined) return privateKeyFromProtobuf(saved)
    const key = await generateKeyPair('Ed25519')
    await store.batch([{ type: 'put', key: KEY, value: privateKeyToProtobuf(key) }])
    return key
  } finally {
    await store.close()
  }
}
