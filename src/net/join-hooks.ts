import type { Logger } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import type { NetworkComponents } from './network-components.ts'

/** What a snapshot download needs from the network layer. */
export interface SnapshotSyncHooks {
  libp2p: Libp2p
  components: NetworkComponents
  signal: AbortSignal
  /** Scores a peer down by one offence. */
  penalise(peer: string, reason: string): void
  /** Chunks in, of how many. */
  onProgress(done: number, total: number): void
  /** Headers checked, of how many (when the checkpoint is found by checking the header chain). */
  onHeaders?(done: number, total: number): void
  /** Told why no snapshot was installed (the node then syncs from genesis). */
  onFailure(error: Error): void
  log: Logger
}
