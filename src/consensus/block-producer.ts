import type { Genesis } from '../genesis.ts'
import { stateAfter } from '../ledger/apply-block.ts'
import { type Block, bodyHash, STATE_ROOT_VERSION, signBlock } from '../ledger/block.ts'
import type { LedgerState } from '../ledger/ledger-state.ts'
import type { Mempool } from '../mempool.ts'
import type { CryptoPort } from '../ports.ts'
import { checkLeadership, type ProducerKeys } from './leader-check.ts'

/** Room left in a block for the header, signature and encoding overhead. */
const HEADER_ALLOWANCE = 1024
/** The tip hash of a state computed only for its root. */
const NO_HASH = new Uint8Array(32)

/** If `keys` lead `slot` on the chain ending at `state`, a signed block filled from the mempool. */
export async function produceBlock(
  state: LedgerState,
  slot: number,
  keys: ProducerKeys,
  mempool: Mempool,
  genesis: Genesis,
  crypto: CryptoPort,
): Promise<Block | undefined> {
  if (slot <= state.tip.slot) return undefined
  const leadership = checkLeadership(state, slot, keys, genesis)
  if (leadership === undefined) return undefined
  let txs = mempool.select(genesis.maxTxPerBlock, genesis.maxBlockBytes - HEADER_ALLOWANCE)
  for (;;) {
    const draft = {
      index: state.tip.index + 1,
      slot,
      prevHash: state.tip.hash,
      bodyHash: bodyHash(txs),
      issuer: keys.publicKey,
      ...leadership,
      protocolVersion: genesis.protocolVersion,
    }
    // The state root is of the state the block leads to, whose tip hash it cannot know yet.
    const header =
      genesis.protocolVersion >= STATE_ROOT_VERSION
        ? { ...draft, stateRoot: stateAfter(state, draft, txs, NO_HASH, genesis).stateRoot }
        : draft
    const block = await signBlock(header, txs, keys.secret, crypto)
    if (block.size <= genesis.maxBlockBytes || txs.length === 0) return block
    txs = txs.slice(0, Math.floor(txs.length * 0.9))
  }
}
