import type { ProducerSecrets } from '../config.ts'
import { vrfPublicKey } from '../crypto/vrf.ts'
import { toHex } from '../encoding/hash.ts'
import { type Address, addressOf } from '../ledger/address.ts'
import type { CryptoPort } from '../ports.ts'
import type { ProducerKeys } from './leader-check.ts'

/** A producer's keys from its secrets, and what a node's status tells of it (worked out once: the VRF key costs a scalar multiplication). */
export async function producerKeys(
  producer: ProducerSecrets,
  crypto: CryptoPort,
): Promise<{ keys: ProducerKeys; info: { address: Address; vrfKey?: string } }> {
  const keys: ProducerKeys = { secret: producer.secret, publicKey: await crypto.publicKey(producer.secret) }
  if (producer.vrfSecret !== undefined) keys.vrfSecret = producer.vrfSecret
  const info = {
    address: addressOf(keys.publicKey),
    ...(producer.vrfSecret && { vrfKey: toHex(vrfPublicKey(producer.vrfSecret)) }),
  }
  return { keys, info }
}
