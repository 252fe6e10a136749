// A block crosses from the worker to the page as its header and its encoding: structured-cloning
// its transactions made the page build hundreds of objects per block (and collect them), which held
// the main thread past 50 ms while a worker synced. The page decodes a block's transactions only
// when something reads them (the demo reads headers, and transactions when a block is clicked).
import { type Block, decodeBlock, encodeBlock } from '../../../src/ledger/block.ts'

/** A block as it crosses: everything but the transactions, and the block's encoding. */
export interface CrossingBlock extends Omit<Block, 'txs'> {
  encoded: Uint8Array
}

/** The crossing form of a block (its encoding is the one it was received or made with: no re-encoding). */
export function crossingBlock(block: Block): CrossingBlock {
  const { header, signature, hash, size } = block
  return { header, signature, hash, size, encoded: encodeBlock(block) }
}

/** The block again, on the page: `txs` is decoded from the encoding the first time it is read. */
export function landedBlock({ encoded, ...block }: CrossingBlock): Block {
  return Object.defineProperty(block, 'txs', {
    enumerable: true,
    configurable: true,
    get(this: Block) {
      const txs = decodeBlock(encoded).txs
      Object.defineProperty(this, 'txs', { value: txs, enumerable: true, writable: true })
      return txs
    },
  }) as Block
}
