import { equalBytes, toHex } from '../encoding/hash.ts'
import type { Genesis } from '../genesis.ts'
import { type BlockHeader, headerSigningMessage, STATE_ROOT_VERSION } from '../ledger/block.ts'
import { checkEpochStake, type EpochStake } from '../ledger/epoch-stake.ts'
import {
  BadParentError,
  BadSignatureError,
  SlotNotIncreasingError,
  StateRootMismatchError,
} from '../ledger/errors.ts'
import { genesisView } from '../ledger/genesis-state.ts'
import type { ChainTip } from '../ledger/ledger-state.ts'
import type { SignedHeader } from '../ledger/signed-header.ts'
import { verifySignatures } from '../ledger/verify-signatures.ts'
import type { CryptoPort } from '../ports.ts'
import { type ConsensusView, noncesAfter } from './consensus-view.ts'
import { FutureSlotError, ProtocolVersionError } from './errors.ts'
import { verifyLeadership } from './leader-check.ts'
import { epochOf } from './slot-clock.ts'

/** Asks for the stake after a block that ends its epoch, as some peer claims it (checked here against the block's state root). */
export type StakeSource = (block: ChainTip) => Promise<EpochStake>

/**
 * A header chain from genesis checked without its transactions: every link, slot, signature and
 * leader (VRF proof and threshold against the epoch's stake and nonce). Nonces follow from the
 * headers themselves; the stake at each epoch's end, which follows from transactions, is asked of
 * peers and checked against that block's state root, so one proven record per epoch is all it
 * takes. Its settled blocks can then be trusted as checkpoints for snapshot sync.
 */
export class HeaderChain {
  private readonly genesis: Genesis
  private readonly crypto: CryptoPort
  private view: ConsensusView
  private last: BlockHeader | undefined
  /** Hashes of the checked blocks at every `pointEvery`-th height (where peers keep snapshots). */
  private readonly points = new Map<number, Uint8Array>()
  readonly pointEvery: number

  constructor(genesis: Genesis, crypto: CryptoPort, pointEvery: number) {
    if (genesis.protocolVersion < STATE_ROOT_VERSION)
      throw new ProtocolVersionError(
        'a header chain is checked alone only from protocol version 2 (state roots)',
      )
    this.genesis = genesis
    this.crypto = crypto
    this.pointEvery = pointEvery
    this.view = genesisView(genesis)
  }

  /** The last block checked. */
  get tip(): ChainTip {
    return this.view.tip
  }

  /** The highest checked block at a multiple of `pointEvery` and at most `maxIndex`, as a checkpoint. */
  checkpoint(maxIndex: number): { index: number; hash: Uint8Array } | undefined {
    const index = Math.floor(Math.min(maxIndex, this.tip.index) / this.pointEvery) * this.pointEvery
    const hash = this.points.get(index)
    return hash === undefined ? undefined : { index, hash }
  }

  /**
   * Checks `headers`, the next ones after the tip, and moves the tip to the last. Entering a new
   * epoch asks `stakeAfter` for the stake after the block before. Throws the first broken rule
   * (the headers before it stay checked); no slot may pass `maxSlot`.
   */
  async extend(headers: readonly SignedHeader[], stakeAfter: StakeSource, maxSlot: number): Promise<void> {
    const verdicts = await verifySignatures(
      this.crypto,
      headers.map((h) => ({
        publicKey: h.header.issuer,
        message: headerSigningMessage(h.hash),
        signature: h.signature,
      })),
    )
    for (const [i, { header, hash }] of headers.entries()) {
      this.checkLink(header, maxSlot)
      if (!verdicts[i]) throw new BadSignatureError(`block ${header.index}: header signature does not verify`)
      const { tip } = this.view
      if (this.last !== undefined && epochOf(this.genesis, header.slot) > epochOf(this.genesis, tip.slot)) {
        const stake = checkEpochStake(this.last, this.view, await stakeAfter(tip))
        this.view = { ...this.view, stake }
      }
      verifyLeadership(this.view, header, this.genesis)
      this.view = {
        ...this.view,
        ...noncesAfter(this.view, header, this.genesis),
        tip: { index: header.index, slot: header.slot, hash },
      }
      this.last = header
      if (header.index % this.pointEvery === 0) this.points.set(header.index, hash)
    }
  }

  private checkLink(header: BlockHeader, maxSlot: number): void {
    const { tip } = this.view
    const id = `block ${header.index}`
    if (header.index !== tip.index + 1 || !equalBytes(header.prevHash, tip.hash))
      throw new BadParentError(`${id} does not follow block ${tip.index} ${toHex(tip.hash).slice(0, 12)}`)
    if (header.slot <= tip.slot)
      throw new SlotNotIncreasingError(`${id}: slot ${header.slot} is not after ${tip.slot}`)
    if (header.slot > maxSlot)
      throw new FutureSlotError(`${id}: slot ${header.slot} is in the future (now ≤ ${maxSlot})`)
    if (header.protocolVersion !== this.genesis.protocolVersion)
      throw new ProtocolVersionError(
        `${id}: protocol version ${header.protocolVersion}, expected ${this.genesis.protocolVersion}`,
      )
    if (header.stateRoot === undefined) throw new StateRootMismatchError(`${id} carries no state root`)
  }
}
