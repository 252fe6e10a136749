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

/** One chunk under the strict rule: only items that meet it reach the platform's batch. */
async function verifyChunk(crypto: CryptoPort, items: readonly SignedItem[]): Promise<boolean[]> {
  const results = items.map((item) => meetsSignatureRule(item.publicKey, item.signature))
  const passing = items.filter((_, i) => results[i])
  if (passing.length === 0) return results
  const verdicts = await crypto.verifyBatch(passing)
  let next = 0
  return results.map((ok) => ok && verdicts[next++] === true)
}

/**
 * Starts verifying `items` in chunks, one chunk handed over per turn of the event loop; returns
 * each chunk's verdicts as it settles, so a caller can go on with the first while the rest run.
 */
function verifyInChunks(crypto: CryptoPort, items: readonly SignedItem[]): Promise<boolean[]>[] {
  let turn: Promise<void> = Promise.resolve()
  const chunks: Promise<boolean[]>[] = []
  for (let i = 0; i < items.length; i += VERIFY_CHUNK) {
    if (i > 0) turn = turn.then(yieldToEventLoop)
    const chunk = turn.then(() => verifyChunk(crypto, items.slice(i, i + VERIFY_CHUNK)))
    chunk.catch(() => {}) // a failure surfaces where the chunk is awaited, not as unhandled before
    chunks.push(chunk)
  }
  return chunks
}

/** Verifies many signatures under the strict rule; only items that meet it reach the platform's batch. */
export async function verifySignatures(crypto: CryptoPort, items: readonly SignedItem[]): Promise<boolean[]> {
  return (await Promise.all(verifyInChunks(crypto, items))).flat()
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

/**
 * Starts verifying every signature of several blocks in one stream of batches (all cores at once);
 * returns a check per block that settles as soon as that block's signatures are done, rejecting
 * with BadSignatureError naming the bad one. A caller can apply a block while later ones verify.
 */
export function blockSignatureChecks(blocks: readonly Block[], crypto: CryptoPort): Promise<void>[] {
  const items: SignedItem[] = []
  const starts: number[] = []
  for (const block of blocks) {
    starts.push(items.length)
    items.push({
      publicKey: block.header.issuer,
      message: headerSigningMessage(block.hash),
      signature: block.signature,
    })
    for (const tx of block.txs) items.push(txItem(tx))
  }
  const chunks = verifyInChunks(crypto, items)
  return blocks.map(async (block, b) => {
    const start = starts[b]
    const end = start + 1 + block.txs.length
    const first = Math.floor(start / VERIFY_CHUNK)
    const covering = await Promise.all(chunks.slice(first, Math.ceil(end / VERIFY_CHUNK)))
    let bad = -1
    for (let i = start; i < end && bad < 0; i++)
      if (!covering[Math.floor(i / VERIFY_CHUNK) - first][i % VERIFY_CHUNK]) bad = i - start
    if (bad === 0)
      throw new BadSignatureError(`block ${block.header.index}: issuer signature does not verify`)
    if (bad > 0) {
      const tx = block.txs[bad - 1]
      throw new BadSignatureError(
        `block ${block.header.index}, tx #${bad - 1} (${toHex(tx.hash).slice(0, 12)}): signature does not verify`,
      )
    }
  })
}

/** Verifies every signature of several blocks; throws naming the first bad one in block order. */
export async function verifyBlocksSignatures(blocks: readonly Block[], crypto: CryptoPort): Promise<void> {
  const checks = blockSignatureChecks(blocks, crypto)
  for (const check of checks) check.catch(() => {}) // only the first failure in order is reported
  for (const check of checks) await check
}
