import { toHex } from '../encoding/hash.ts'
import type { CryptoPort, SignedItem } from '../platform.ts'
import { type Block, headerSigningMessage } from './block.ts'
import { BadSignatureError } from './errors.ts'
import { type Transaction, txSigningMessage } from './transaction.ts'

function txItem(tx: Transaction): SignedItem {
  return { publicKey: tx.publicKey, message: txSigningMessage(tx.hash), signature: tx.signature }
}

/** Verifies one transaction's signature; throws BadSignatureError when it does not verify. */
export async function verifyTransactionSignature(tx: Transaction, crypto: CryptoPort): Promise<void> {
  if (!(await crypto.verify(tx.publicKey, txSigningMessage(tx.hash), tx.signature))) {
    throw new BadSignatureError(`tx ${toHex(tx.hash).slice(0, 12)}: signature does not verify`)
  }
}

/** Verifies the issuer's header signature and every transaction signature in one batch. */
export async function verifyBlockSignatures(block: Block, crypto: CryptoPort): Promise<void> {
  const items: SignedItem[] = [
    { publicKey: block.header.issuer, message: headerSigningMessage(block.hash), signature: block.signature },
    ...block.txs.map(txItem),
  ]
  const results = await crypto.verifyBatch(items)
  const bad = results.indexOf(false)
  if (bad === 0) throw new BadSignatureError(`block ${block.header.index}: issuer signature does not verify`)
  if (bad > 0) {
    const tx = block.txs[bad - 1]
    throw new BadSignatureError(
      `block ${block.header.index}, tx #${bad - 1} (${toHex(tx.hash).slice(0, 12)}): signature does not verify`,
    )
  }
}
