import { BoundedMap } from '../bounded-map.ts'
import { equalBytes, toHex } from '../encoding/hash.ts'
import { HashCache, HashSet } from '../encoding/hash-cache.ts'
import type { Genesis } from '../genesis.ts'
import { addressOf } from '../ledger/address.ts'
import { applyBlock, checkBlockContents } from '../ledger/apply-block.ts'
import type { Block, BlockHeader } from '../ledger/block.ts'
import type { ChainStore } from '../ledger/chain-store.ts'
import {
  BadParentError,
  ForkTooDeepError,
  InvalidAncestorError,
  UnknownParentError,
  ValidationError,
} from '../ledger/errors.ts'
import type { LedgerState } from '../ledger/ledger-state.ts'
import { TimeSlice } from '../time-slice.ts'
import { prefersCandidate, type TipSummary, tipOf } from './chain-selection.ts'
import { epochData } from './epoch-data.ts'
import { FutureSlotError, NotLeaderError, ProtocolVersionError, TooManyVariantsError } from './errors.ts'
import { verifyLeadership } from './leader-check.ts'
import { epochOf, slotAt } from './slot-clock.ts'

/**
 * Different valid blocks of one issuer for one slot kept at most (equivocation): more are refused
 * unless they make the best chain, so a slot leader cannot fill the store with variants.
 */
export const MAX_VARIANTS = 3

/** The key of a header's issuer and slot. */
export function variantKey(header: BlockHeader): string {
  return `${toHex(header.issuer)}:${header.slot}`
}

/**
 * Full validation of received blocks, on every branch, and what it remembers between blocks:
 * hashes found invalid (their descendants are refused at once), the states after recent side
 * blocks (a growing fork is not re-applied from its root) and the valid blocks of each (issuer,
 * slot) (a second one is an equivocation; at most MAX_VARIANTS are kept). Signatures are verified
 * by the caller, started after checkContents and awaited block by block in validateBranch.
 */
export class BlockValidator {
  private readonly genesis: Genesis
  private readonly invalid = new HashSet(10_000)
  private readonly sideStates = new HashCache<LedgerState>(64)
  /** Hashes (hex) of the valid blocks of each (issuer, slot), first first, at most MAX_VARIANTS. */
  private readonly issued = new BoundedMap<string, string[]>(10_000)

  constructor(genesis: Genesis) {
    this.genesis = genesis
  }

  /**
   * Checks that need no chain state, cheapest first: a linked run, no known-bad ancestry,
   * protocol version, no slot past `latestMs` (now plus the allowed skew), size, count, body.
   */
  checkContents(fresh: readonly Block[], latestMs: number): void {
    const maxSlot = slotAt(this.genesis, latestMs)
    for (const [i, block] of fresh.entries()) {
      const { header, hash } = block
      const id = `block ${header.index} ${toHex(hash).slice(0, 12)}`
      if (i > 0 && !equalBytes(header.prevHash, fresh[i - 1].hash))
        throw new BadParentError(`${id} does not follow the block before it`)
      if (this.invalid.has(hash)) throw new InvalidAncestorError(`${id} was already found invalid`)
      if (this.invalid.has(header.prevHash)) {
        this.invalid.add(hash)
        throw new InvalidAncestorError(`${id} descends from an invalid block`)
      }
      if (header.protocolVersion !== this.genesis.protocolVersion) {
        throw new ProtocolVersionError(
          `block ${header.index}: protocol version ${header.protocolVersion}, expected ${this.genesis.protocolVersion}`,
        )
      }
      if (header.slot > maxSlot)
        throw new FutureSlotError(
          `block ${header.index}: slot ${header.slot} is in the future (now ≤ ${maxSlot})`,
        )
      checkBlockContents(block, this.genesis)
    }
  }

  /** The chain from the best chain to `block`: its stored ancestors off the best chain, then itself. */
  async branchOf(block: Block, chain: ChainStore): Promise<Block[]> {
    const branch = [block]
    for (;;) {
      const { prevHash, index } = branch[0].header
      const onChain = await chain.hashAt(index - 1)
      if (onChain !== undefined && equalBytes(onChain, prevHash)) return branch
      if (index - 1 <= chain.tip.index - this.genesis.k) {
        throw new ForkTooDeepError(
          `block ${block.header.index} is on a fork more than k = ${this.genesis.k} blocks deep`,
        )
      }
      const parent = await chain.getBlock(prevHash)
      if (parent === undefined) {
        throw new UnknownParentError(
          `block ${block.header.index}: ancestor ${toHex(prevHash).slice(0, 12)} (index ${index - 1}) is unknown`,
        )
      }
      branch.unshift(parent)
    }
  }

  /**
   * Applies leadership and ledger rules along `branch` (its first block's parent is on the best
   * chain; its last `freshCount` blocks are new) and returns the state after each block. A new
   * block that breaks a rule is remembered as invalid: its hash fixes its header and, through the
   * body hash, its transactions. `signatures` has a check per new block (see blockSignatureChecks):
   * each block waits for its own, so later blocks verify while earlier ones are applied.
   */
  async validateBranch(
    branch: readonly Block[],
    freshCount: number,
    chain: ChainStore,
    signatures: readonly Promise<void>[],
  ): Promise<LedgerState[]> {
    const stored = branch.length - freshCount
    const remembered = branch.slice(0, stored).map((block) => this.sideStates.get(block.hash))
    const complete = remembered.every((state) => state !== undefined)
    const states: LedgerState[] = complete ? (remembered as LedgerState[]) : []
    let state = states.at(-1) ?? chain.parentState(branch[0])
    const slice = new TimeSlice()
    for (const [i, block] of branch.entries()) {
      if (i < states.length) continue
      await slice.check()
      // Not remembered as invalid when it fails: the header's hash does not cover the issuer's signature.
      if (i >= stored) await signatures[i - stored]
      try {
        verifyLeadership(state, block.header, this.genesis)
        state = applyBlock(state, block, this.genesis)
      } catch (err) {
        if (i >= stored && err instanceof ValidationError) this.invalid.add(block.hash)
        throw err
      }
      states.push(state)
    }
    return states
  }

  /** Keeps the states after side blocks just stored, for the blocks that will extend them. */
  rememberSide(blocks: readonly Block[], states: readonly LedgerState[]): void {
    for (const [i, block] of blocks.entries()) this.sideStates.remember(block.hash, states[i])
  }

  /**
   * Refuses a block of a run when its issuer already has MAX_VARIANTS other valid blocks for its
   * slot, unless the run would become the best chain over `current` (a longer chain through any
   * variant is still followed).
   */
  checkVariants(fresh: readonly Block[], current: TipSummary): void {
    if (prefersCandidate(current, tipOf(fresh[fresh.length - 1].header), 0, this.genesis.k)) return
    for (const { header, hash } of fresh) {
      const known = this.issued.get(variantKey(header))
      if (known !== undefined && known.length >= MAX_VARIANTS && !known.includes(toHex(hash)))
        throw new TooManyVariantsError(
          `block ${header.index} ${toHex(hash).slice(0, 12)}: ${toHex(header.issuer).slice(0, 12)} has ${known.length} blocks for slot ${header.slot} already; no more are kept off the best chain`,
        )
    }
  }

  /**
   * Refuses a header whose issuer can lead no slot of this chain, judged without the header's own
   * branch (so before holding an early block): the slot's BFT leader, or a pool of the genesis or
   * of `state` (the best chain's; a pool known only on another fork is refused here).
   */
  checkIssuer(header: BlockHeader, state: LedgerState): void {
    if (this.genesis.mode === 'bft') {
      verifyLeadership(state, header, this.genesis)
      return
    }
    const address = addressOf(header.issuer)
    if (
      this.genesis.pools.some((pool) => equalBytes(pool.publicKey, header.issuer)) ||
      state.stake.pools.has(address) ||
      epochData(state, epochOf(this.genesis, header.slot), this.genesis).stake.pools.has(address)
    )
      return
    throw new NotLeaderError(
      `block ${header.index}: ${toHex(header.issuer).slice(0, 12)} is not a stake pool of this chain`,
    )
  }

  /** Records a valid block; returns the hash of the issuer's first block for its slot when this one differs. */
  recordIssued(block: Block): string | undefined {
    const key = variantKey(block.header)
    const hash = toHex(block.hash)
    const known = this.issued.get(key)
    if (known === undefined) {
      this.issued.set(key, [hash])
      return undefined
    }
    if (known.length < MAX_VARIANTS && !known.includes(hash)) known.push(hash)
    return known[0] !== hash ? known[0] : undefined
  }

  /** True when the issuer of `block` signed another valid block for its slot first. */
  isEquivocation(block: Block): boolean {
    const first = this.issued.get(variantKey(block.header))?.[0]
    return first !== undefined && first !== toHex(block.hash)
  }
}
