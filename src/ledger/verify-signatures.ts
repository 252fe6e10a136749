import { meetsSignatureRule } from '../crypto/signature-rule.ts'
import { toHex } from '../encoding/hash.ts'
import type { CryptoPort, SignedItem } from '../ports.ts'
import { yieldToEventLoop } from '../time-slice.ts'
import { type Block, headerSigningMessage } from './block.ts'
import { BadSignatureError } from './errors.ts'
import { type Transaction, txSigningMessage } from './transaction.ts'

function txItem(tx: Transaction): SignedItem {
  return { publicKey: tx.publicKey, message: txSigningMessage(tx.hash), signature: tx.signature }
}

/** Verifies one signature under the strict rule: refused without asking the platform when the bytes fail it. */
export async function verifySignature(crypto: CryptoPort, item: SignedItem): Promise<boolean> {
  // The rule first: platforms disagree on edge cases (small-order keys, S >= L, non-canonical points),
  // and only the bytes-level rule plus a cofactorless platform check give one verdict everywhere.
  if (!meetsSignatureRule(item.publicKey, item.signature)) return false
  return crypto.verify(item.publicKey, item.message, item.signature)
}

/** Signatures handed to the platform at a time: a block run holds up to 10,000, too many for one task of a tab. */
const VERIFY_CHUNK = 1000

/** Verifies many signatures under the strict rule; only items that meet it reach the platform's batch. */
export async function verifySignatures(crypto: CryptoPort, items: readonly SignedItem[]): Promise<boolean[]> {
  const results = items.map((item) => meetsSignatureRule(item.publicKey, item.signature))
  const passing = items.filter((_, i) => results[i])
  if (passing.length === 0) return results
  // Chunks are started one after another, between yields, and verified together.
  const chunks: Promise<boolean[]>[] = []
  for (let i = 0; i < passing.length; i += VERIFY_CHUNK) {
    if (i > 0) await yieldToEventLoop()
    const chunk = crypto.verifyBatch(passing.slice(i, i + VERIFY_CHUNK))
    chunk.catch(() => {}) // a failure surfaces in Promise.all below, not as unhandled during a yield
    chunks.push(chunk)
  }
  const verdicts = (await Promise.all(chunks)).flat()
  let next = 0
  return results.map((ok) => ok && verdicts[next++] === true)
}

/** Verifies one transaction's signature; throws BadSignatureError when it does not verify. */
export async function verifyTransactionSignature(tx: Transaction, crypto: CryptoPort): Promise<void> {
  if (!(await verifySignature(crypto, txItem(tx)))) {
    throw new BadSignatureError(`tx ${toHex(tx.hash).slice(0, 12)}: signature does not verify`)
  }
}

/** Verifies the issuer's header signature and every transaction signature in one batch. */
export function verifyBlockSignatures(block: Block, crypto: CryptoPort): Promise<void> {
  return verifyBlocksSignatures([block], crypto)
}

/** Verifies every signature of several blocks in one batch (all cores at once); throws naming the first bad one. */
export async function verifyBlocksSignatures(blocks: readonly Block[], crypto: CryptoPort): Promise<void> {
  const items: SignedItem[] = []
  for (const block of blocks) {
    items.push({
      publicKey: block.header.issuer,
      message: headerSigningMessage(block.hash),
      signature: block.signature,
    })
    for (const tx of block.txs) items.push(txItem(tx))
  }
  const results = await verifySignatures(crypto, items)
  let offset = 0
  for (const block of blocks) {
    const bad = results.slice(offset, offset + 1 + block.txs.length).indexOf(false)
    offset += 1 + block.txs.length
    if (bad === 0)
      throw new BadSignatureError(`block ${block.header.index}: issuer signature does not verify`)
    if (bad > 0) {
      const tx = block.txs[bad - 1]
      throw new BadSignatureError(
        `block ${block.header.index}, tx #${bad - 1} (${toHex(tx.hash).slice(0, 12)}): signature does not verify`,
      )
    }
  }
}
