import { equalBytes } from '../encoding/hash.ts'
import type { BatchOp, Store } from '../ports.ts'

/** Key prefix of an unfinished snapshot download: what was received, kept to resume after a restart. */
const STAGED = 'p/'
const BLOCK = 'p/block'
const MANIFEST = 'p/manifest'
const chunkKey = (index: number): string => `p/c/${index.toString().padStart(5, '0')}`

/** What a store holds of the download of one block's snapshot, as received (verified again on resume). */
export interface StagedSnapshot {
  manifest?: Uint8Array
  chunks: Map<number, Uint8Array>
}

/**
 * A snapshot download's staging area in a chain's store: the manifest and each verified chunk are
 * written as they arrive, so a node stopped (or killed) halfway resumes where it was; nothing of
 * it is part of the chain until the whole snapshot is installed in one batch, which clears it.
 */
export class SnapshotStaging {
  private readonly store: Store

  constructor(store: Store) {
    this.store = store
  }

  /** What is staged for `blockHash`; anything staged for another block is deleted. */
  async read(blockHash: Uint8Array): Promise<StagedSnapshot> {
    const staged: StagedSnapshot = { chunks: new Map() }
    const block = await this.store.get(BLOCK)
    if (block === undefined) return staged
    if (!equalBytes(block, blockHash)) {
      await this.store.batch(await this.clearOps())
      return staged
    }
    for await (const [key, value] of this.store.entries({ prefix: STAGED })) {
      if (key === MANIFEST) staged.manifest = value
      else if (key.startsWith('p/c/')) staged.chunks.set(Number(key.slice(4)), value)
    }
    return staged
  }

  /** Keeps a verified manifest of `blockHash`. */
  putManifest(blockHash: Uint8Array, manifest: Uint8Array): Promise<void> {
    return this.store.batch([
      { type: 'put', key: BLOCK, value: blockHash },
      { type: 'put', key: MANIFEST, value: manifest },
    ])
  }

  /** Keeps verified chunks, by index, in one write. */
  putChunks(chunks: ReadonlyArray<readonly [index: number, chunk: Uint8Array]>): Promise<void> {
    return this.store.batch(chunks.map(([index, value]) => ({ type: 'put', key: chunkKey(index), value })))
  }

  /** The writes that delete everything staged (part of the batch that installs the snapshot). */
  async clearOps(): Promise<BatchOp[]> {
    const ops: BatchOp[] = []
    for await (const [key] of this.store.entries({ prefix: STAGED })) ops.push({ type: 'del', key })
    return ops
  }
}
