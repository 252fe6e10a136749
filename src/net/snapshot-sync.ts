import type { PeerId } from '@libp2p/interface'
import { DecodeError } from '../errors.ts'
import { SnapshotMismatchError, ValidationError } from '../ledger/errors.ts'
import {
  CHUNKS,
  type CheckedChunk,
  type Checkpoint,
  MAX_CHUNK_BYTES,
  MAX_MANIFEST_BYTES,
  type SnapshotManifest,
  snapshotState,
  verifyChunk,
  verifyManifest,
} from '../ledger/snapshot.ts'
import { SnapshotUnavailableError } from './errors.ts'
import { headerCheckpoint } from './header-sync.ts'
import type { SnapshotSyncHooks } from './join-hooks.ts'
import { encodeGetSnapshot } from './messages.ts'
import type { SnapshotStart } from './network-components.ts'
import { pause } from './pause.ts'
import { isDirect } from './peer-mesh.ts'
import { protocolId } from './protocol-id.ts'
import { sendRequest } from './request-response.ts'
import { SYNC_PROTOCOLS } from './sync-server.ts'

/** Chunk requests in flight at once, spread over the peers that serve the snapshot (each costs a round trip). */
const PARALLEL = 16
/** Checked chunks staged per store write. */
const STAGE_BATCH = 32
/** How long one manifest or chunk request may take. */
const REQUEST_TIMEOUT_MS = 20_000
/** How often peers are asked again while none has the snapshot (new peers connect meanwhile). */
const RETRY_MS = 500

/**
 * Starts the empty chain at a checkpoint's snapshot (see snapshotSync); when that fails for any
 * reason but the node stopping, says why (onFailure, the log) and returns: sync from genesis follows.
 */
export async function joinBySnapshot(hooks: SnapshotSyncHooks, start: SnapshotStart): Promise<void> {
  try {
    let { checkpoint } = start
    if (checkpoint === 'headers') {
      const found = await headerCheckpoint(hooks, start.deadlineMs)
      if (found === undefined) {
        hooks.log('no settled snapshot point on a checked header chain; syncing from genesis')
        return
      }
      checkpoint = found
    }
    await snapshotSync(hooks, checkpoint, start.deadlineMs)
  } catch (err) {
    if (hooks.signal.aborted) throw err
    hooks.log.error('%s; syncing from genesis instead', (err as Error).message)
    hooks.onFailure(err as Error)
  }
}

/**
 * Makes the empty chain store start at `checkpoint`: fetches the snapshot of that block from
 * connected peers (its manifest, then its chunks from several peers at once), checks every piece
 * against the state root in the block's header, keeps each checked piece in the store's staging
 * area (a restart resumes there), and installs the whole in one batch. A peer whose manifest or
 * chunk does not fit is charged an offence and asked no more. Throws SnapshotUnavailableError
 * when no peer has it before `deadlineMs`.
 */
async function snapshotSync(
  hooks: SnapshotSyncHooks,
  checkpoint: Checkpoint,
  deadlineMs: number,
): Promise<void> {
  const deadline = AbortSignal.any([hooks.signal, AbortSignal.timeout(deadlineMs)])
  const session = new SnapshotSession(hooks, checkpoint, deadline)
  const manifest = await session.manifest()
  const chunks = await session.chunks(manifest)
  const state = snapshotState(hooks.components.genesis, manifest, chunks)
  await hooks.components.chain().installSnapshot(
    manifest.block,
    state,
    chunks.map((c) => c.bytes),
  )
  hooks.log(
    'installed the snapshot of block %d (%d accounts)',
    checkpoint.index,
    chunks.reduce((n, c) => n + c.accounts.length, 0),
  )
}

/** One download: which peers lied or lack the snapshot, and what is staged. */
class SnapshotSession {
  private readonly hooks: SnapshotSyncHooks
  private readonly checkpoint: Checkpoint
  private readonly signal: AbortSignal
  /** Peers that sent something that does not fit: never asked again. */
  private readonly liars = new Set<string>()
  /** Peers that answered the manifest: the ones chunks are asked of. */
  private readonly sources: PeerId[] = []
  private turn = 0

  constructor(hooks: SnapshotSyncHooks, checkpoint: Checkpoint, signal: AbortSignal) {
    this.hooks = hooks
    this.checkpoint = checkpoint
    this.signal = signal
  }

  /** The verified manifest: staged from an earlier try, or from the first peer that has it. */
  async manifest(): Promise<SnapshotManifest> {
    const { genesis } = this.hooks.components
    const staged = await this.hooks.components.chain().staging.read(this.checkpoint.hash)
    if (staged.manifest !== undefined) {
      try {
        this.sources.push(...this.candidates())
        return this.check(verifyManifest(staged.manifest, this.checkpoint.hash, genesis))
      } catch (err) {
        this.hooks.log('the staged snapshot manifest no longer checks out: %s', (err as Error).message)
      }
    }
    for (;;) {
      for (const peer of this.candidates()) {
        const bytes = await this.ask(peer, undefined, MAX_MANIFEST_BYTES)
        if (bytes === undefined) continue
        const manifest = this.judge(peer, () =>
          this.check(verifyManifest(bytes, this.checkpoint.hash, genesis)),
        )
        if (manifest === undefined) continue
        await this.hooks.components.chain().staging.putManifest(this.checkpoint.hash, bytes)
        this.sources.push(peer, ...this.candidates().filter((p) => !p.equals(peer)))
        return manifest
      }
      await this.pause()
    }
  }

  /** Every chunk, checked: staged ones checked again, the rest fetched PARALLEL at a time. */
  async chunks(manifest: SnapshotManifest): Promise<CheckedChunk[]> {
    const staging = this.hooks.components.chain().staging
    const staged = (await staging.read(this.checkpoint.hash)).chunks
    const accounts: CheckedChunk[] = []
    const todo: number[] = []
    for (let index = 0; index < CHUNKS; index++) {
      const bytes = staged.get(index)
      const checked = bytes && this.judge(undefined, () => verifyChunk(manifest, index, bytes))
      if (checked) accounts[index] = checked
      else todo.push(index)
    }
    let done = CHUNKS - todo.length
    this.hooks.onProgress(done, CHUNKS)
    // Checked chunks are staged STAGE_BATCH at a time (a write per chunk held a tab's download up),
    // one write after another; progress counts what is staged, what a restart resumes from.
    let pending: Array<[number, Uint8Array]> = []
    let writes = Promise.resolve()
    const stage = (last: boolean): Promise<void> => {
      if (pending.length < STAGE_BATCH && !(last && pending.length > 0)) return writes
      const batch = pending
      pending = []
      writes = writes.then(async () => {
        await staging.putChunks(batch)
        done += batch.length
        this.hooks.onProgress(done, CHUNKS)
      })
      return writes
    }
    const worker = async (): Promise<void> => {
      for (let index = todo.shift(); index !== undefined; index = todo.shift()) {
        const chunk = index
        for (;;) {
          const peer = this.nextSource()
          const bytes = peer && (await this.ask(peer, chunk, MAX_CHUNK_BYTES))
          const checked = bytes && this.judge(peer, () => verifyChunk(manifest, chunk, bytes))
          if (bytes && checked) {
            accounts[chunk] = checked
            pending.push([chunk, bytes])
            await stage(false)
            break
          }
          // A source that did not answer is asked no more (until every source has failed); with
          // none left, wait a little. A liar was dropped already: try the next at once.
          if (peer !== undefined && bytes === undefined) this.dropSource(peer)
          if (peer === undefined) await this.pause()
        }
      }
    }
    await Promise.all(Array.from({ length: PARALLEL }, worker))
    await stage(true)
    return accounts
  }

  /** Refuses a manifest of another height than the checkpoint's. */
  private check(manifest: SnapshotManifest): SnapshotManifest {
    if (manifest.block.header.index !== this.checkpoint.index)
      throw new SnapshotMismatchError(
        `the checkpoint's block is at height ${manifest.block.header.index}, not ${this.checkpoint.index}`,
      )
    return manifest
  }

  /** Runs a check of what `peer` sent: a lie charges the peer and drops it; returns undefined then. */
  private judge<T>(peer: PeerId | undefined, check: () => T): T | undefined {
    try {
      return check()
    } catch (err) {
      if (!(err instanceof DecodeError || err instanceof ValidationError)) throw err
      if (peer === undefined) return undefined
      this.liars.add(peer.toString())
      this.hooks.penalise(peer.toString(), `snapshot: ${err.message}`)
      this.hooks.log('snapshot from %s refused: %s', peer, err.message)
      return undefined
    }
  }

  /** Asks `peer` for the manifest (chunk undefined) or a chunk; undefined when it has none or fails to answer. */
  private async ask(
    peer: PeerId,
    chunk: number | undefined,
    maxResponseBytes: number,
  ): Promise<Uint8Array | undefined> {
    const { libp2p, components } = this.hooks
    try {
      return await sendRequest(
        libp2p,
        peer,
        protocolId(components.genesis.chainId, SYNC_PROTOCOLS.snapshot),
        encodeGetSnapshot(this.checkpoint.hash, chunk),
        { maxResponseBytes, signal: this.signal, timeoutMs: REQUEST_TIMEOUT_MS },
      )
    } catch (err) {
      if (this.signal.aborted) throw this.gaveUp()
      this.hooks.log('snapshot %s from %s: %s', chunk ?? 'manifest', peer, (err as Error).message)
      return undefined
    }
  }

  /** Directly connected peers not known to lie. */
  private candidates(): PeerId[] {
    const seen = new Set<string>()
    return this.hooks.libp2p
      .getConnections()
      .filter(isDirect)
      .map((c) => c.remotePeer)
      .filter((p) => !this.liars.has(p.toString()) && !seen.has(p.toString()) && seen.add(p.toString()))
  }

  /** The next peer to ask for a chunk, in turn among the sources still connected and honest. */
  private nextSource(): PeerId | undefined {
    const live = new Set(this.candidates().map(String))
    const usable = this.sources.filter((p) => live.has(p.toString()))
    if (usable.length === 0) {
      this.sources.push(...this.candidates().filter((p) => !this.sources.some((s) => s.equals(p))))
      return undefined
    }
    return usable[this.turn++ % usable.length]
  }

  /** Stops asking `peer` for chunks; nextSource takes every connected peer back once none is left. */
  private dropSource(peer: PeerId): void {
    const at = this.sources.findIndex((p) => p.equals(peer))
    if (at >= 0) this.sources.splice(at, 1)
  }

  /** Why the download ends early: the network stopped (its own reason), or the deadline passed. */
  private gaveUp(): unknown {
    if (this.hooks.signal.aborted) return this.hooks.signal.reason
    return new SnapshotUnavailableError(
      `no peer served the snapshot of block ${this.checkpoint.index} in time`,
    )
  }

  private async pause(): Promise<void> {
    if (this.signal.aborted) throw this.gaveUp()
    await pause(RETRY_MS, this.signal)
  }
}
