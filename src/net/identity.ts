import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { RecordStore } from '../ports.ts'

const KEY = 'peer-key'

/** The node's libp2p identity, kept in the platform's records so the peer id survives restarts. */
export async function loadIdentity(records: RecordStore): Promise<PrivateKey> {
  const saved = await records.get(KEY)
  if (saved !== undefined) return privateKeyFromProtobuf(saved)
  const key = await generateKeyPair('Ed25519')
  await records.set(KEY, privateKeyToProtobuf(key))
  return key
}
