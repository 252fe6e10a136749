import type { ResolvedConfig } from './config.ts'
import { BlockValidator, variantKey } from './consensus/block-validation.ts'
import { prefersCandidate, type TipSummary, tipOf } from './consensus/chain-selection.ts'
import { EarlyBlockHold } from './early-blocks.ts'
import { toHex } from './encoding/hash.ts'
import { NodeNotRunningError } from './errors.ts'
import { IntakeQueue } from './intake-queue.ts'
import { type Block, hashBodies, headerSigningMessage } from './ledger/block.ts'
import type { Adoption, ChainStore } from './ledger/chain-store.ts'
import { BadSignatureError, UnknownParentError, ValidationError } from './ledger/errors.ts'
import { blockSignatureChecks, verifySignatures } from './ledger/verify-signatures.ts'
import type { BlockOutcome, IntakeOptions } from './net/network-components.ts'
import type { BlockAdded, PPNodeEvents } from './node-api.ts'
import type { Platform } from './ports.ts'

/** What the block intake needs of the node it feeds. */
export interface IntakeHost {
  readonly config: ResolvedConfig
  readonly platform: Platform
  /** The open chain store; throws NodeNotRunningError naming `what` while the node is stopped. */
  requireChain(what: string): ChainStore
  /** Aborts when the node stops; undefined while it is stopped. */
  runningSignal(): AbortSignal | undefined
  /** The best chain's tip, as chain selection compares it. */
  tip(): TipSummary
  /** Takes a chain change in: the new tip, the mempool, the events. */
  applyAdoption(adoption: Adoption, how: Omit<BlockAdded, 'block'>): void
  /** Emits one of the node's events. */
  emit<K extends keyof PPNodeEvents>(type: K, detail: PPNodeEvents[K]['detail']): void
}

/**
 * Received blocks on their way into the chain: held while a little early, queued per peer with
 * the node's own slot work, checked cheapest rule first, signatures verified ahead where they can
 * be, then adopted or kept as a fork.
 */
export class BlockIntake {
  /** Chain changes one at a time: the node's own slot work first, peer input bounded and in turn. */
  readonly queue = new IntakeQueue()
  /** Full validation of received blocks, with what it remembers between them. */
  private readonly validator: BlockValidator
  /** Blocks waiting for their slot to come near. */
  private readonly early: EarlyBlockHold
  private readonly host: IntakeHost

  constructor(host: IntakeHost) {
    this.host = host
    this.validator = new BlockValidator(host.config.genesis)
    this.early = new EarlyBlockHold(host.platform.clock, host.config.genesis, host.config)
  }

  /** See PPNode.receiveBlock. */
  async receiveBlock(block: Block, options: IntakeOptions = {}): Promise<BlockOutcome> {
    const { from, signal } = options
    await this.arrive([block], from, signal)
    return this.queue.run(() => this.intake([block], { from }), { peer: from ?? 'local' }, signal)
  }

  /** See PPNode.receiveBlocks. */
  async receiveBlocks(blocks: Block[], options: IntakeOptions = {}): Promise<BlockOutcome> {
    const { from, signal } = options
    await this.arrive(blocks, from, signal)
    const signatures = options.verifyAhead === true ? this.verifyAhead(blocks) : undefined
    return this.queue.run(
      async () => {
        try {
          return await this.intake(blocks, { from, synced: true, signatures })
        } catch (err) {
          if (blocks.length === 1 || !(err instanceof ValidationError) || err instanceof UnknownParentError)
            throw err
          let outcome: BlockOutcome = 'duplicate'
          for (const [i, block] of blocks.entries())
            outcome = await this.intake([block], {
              from,
              synced: true,
              signatures: signatures?.slice(i, i + 1),
            })
          return outcome
        }
      },
      { peer: from ?? 'local' },
      signal,
    )
  }

  /** True when the issuer of `block` signed another valid block for its slot first (not to be relayed). */
  isEquivocation(block: Block): boolean {
    return this.validator.isEquivocation(block)
  }

  /** Remembers the first valid block of each (issuer, slot); reports a second one (kept as a fork candidate). */
  recordIssued(block: Block, from?: string): void {
    const first = this.validator.recordIssued(block)
    if (first === undefined) return
    this.host.emit('block:equivocation', {
      issuer: toHex(block.header.issuer),
      slot: block.header.slot,
      hashes: [first, toHex(block.hash)],
      ...(from && { from }),
    })
  }

  /** The latest moment a block may claim: now plus the clock skew allowed. */
  private latest(): number {
    return this.host.platform.clock.now() + this.host.config.clockSkewMs
  }

  /**
   * Starts verifying a run's signatures before its turn in the queue, once the checks that need no
   * chain state pass (else the run takes the usual path, which reports what is wrong).
   */
  private verifyAhead(blocks: Block[]): Promise<void>[] | undefined {
    try {
      this.validator.checkContents(blocks, this.latest())
    } catch {
      return undefined
    }
    const signatures = blockSignatureChecks(blocks, this.host.platform.crypto)
    for (const check of signatures) check.catch(() => {}) // each is awaited in turn, or not needed
    return signatures
  }

  /**
   * What every received block goes through before the queue: its body hashed by the platform's
   * digest, then, when early, the checks that need no chain state (contents, each header's
   * signature, an issuer that can lead at all) and a wait in the EarlyBlockHold. The node must be running.
   */
  private async arrive(blocks: Block[], from: string | undefined, abort?: AbortSignal): Promise<void> {
    abort?.throwIfAborted()
    const running = this.host.runningSignal()
    if (running === undefined) throw new NodeNotRunningError('receiveBlock')
    await hashBodies(blocks, this.host.platform.crypto.digest)
    const last = blocks[blocks.length - 1]
    if (last === undefined || !this.early.isEarly(last.header.slot)) return
    try {
      this.validator.checkContents(blocks, this.early.horizon())
      await this.checkHeaders(blocks)
    } catch (err) {
      if (blocks.length === 1) this.rejected(last, err, from)
      throw err
    }
    await this.early.hold(
      {
        peer: from ?? 'local',
        slot: last.header.slot,
        bytes: blocks.reduce((sum, block) => sum + block.size, 0),
        variant: variantKey(last.header),
        hash: toHex(last.hash),
      },
      abort === undefined ? running : AbortSignal.any([running, abort]),
    )
  }

  /** Checks each header's signature and issuer, with no branch state: what an early block must pass before it is held. */
  private async checkHeaders(blocks: readonly Block[]): Promise<void> {
    const items = blocks.map((block) => ({
      publicKey: block.header.issuer,
      message: headerSigningMessage(block.hash),
      signature: block.signature,
    }))
    const verdicts = await verifySignatures(this.host.platform.crypto, items)
    const state = this.host.requireChain('receiveBlock').state
    for (const [i, block] of blocks.entries()) {
      if (!verdicts[i])
        throw new BadSignatureError(`block ${block.header.index}: issuer signature does not verify`)
      this.validator.checkIssuer(block.header, state)
    }
  }

  private async intake(
    blocks: Block[],
    {
      from,
      synced = false,
      signatures: ahead,
    }: { from?: string | undefined; synced?: boolean; signatures?: Promise<void>[] | undefined },
  ): Promise<BlockOutcome> {
    const started = performance.now()
    const chain = this.host.requireChain('receiveBlock')
    let fresh = blocks
    while (fresh.length > 0 && (await chain.hasBlock(fresh[0].hash))) fresh = fresh.slice(1)
    if (fresh.length === 0) return 'duplicate'
    const skipped = blocks.length - fresh.length
    const last = fresh[fresh.length - 1]
    try {
      // Cheapest checks first: what each block says about itself, its branch, then signatures
      // (all started at once, each block's awaited before its leadership and ledger rules).
      this.validator.checkContents(fresh, this.latest())
      this.validator.checkVariants(fresh, this.host.tip())
      const branch = [...(await this.validator.branchOf(fresh[0], chain)).slice(0, -1), ...fresh]
      const signatures = ahead?.slice(skipped) ?? blockSignatureChecks(fresh, this.host.platform.crypto)
      for (const check of signatures) check.catch(() => {}) // each is awaited in turn, or not needed
      const states = await this.validator.validateBranch(branch, fresh.length, chain, signatures)
      for (const block of fresh) this.recordIssued(block, from)
      const ancestor = branch[0].header.index - 1
      const depth = chain.tip.index - ancestor
      if (
        ancestor !== chain.tip.index &&
        !prefersCandidate(this.host.tip(), tipOf(last.header), depth, this.host.config.genesis.k)
      ) {
        await chain.putSideBlocks(fresh)
        this.validator.rememberSide(fresh, states.slice(-fresh.length))
        return 'side'
      }
      const adoption = await chain.adoptValidated(branch, states)
      const importMs = (performance.now() - started) / fresh.length
      this.host.applyAdoption(adoption, { produced: false, synced, importMs, ...(from && { from }) })
      return 'added'
    } catch (err) {
      if (fresh.length === 1) this.rejected(last, err, from)
      throw err
    }
  }

  /** Reports a block refused for breaking a rule (not one whose parent is merely unknown). */
  private rejected(block: Block, err: unknown, from: string | undefined): void {
    if (!(err instanceof ValidationError) || err instanceof UnknownParentError) return
    this.host.emit('block:rejected', {
      hash: toHex(block.hash),
      index: block.header.index,
      error: err,
      ...(from && { from }),
    })
  }
}
