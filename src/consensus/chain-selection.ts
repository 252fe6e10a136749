import type { BlockHeader } from '../ledger/block.ts'

/** The tip of a chain as chain selection sees it. */
export interface TipSummary {
  index: number
  /** The tip block's VRF output (empty at genesis and in BFT mode). */
  vrfOutput: Uint8Array
}

/** Compares byte strings as big-endian numbers: negative when a < b. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

/**
 * Ouroboros chain selection: switch to the candidate only if it forks at most `k` blocks back and
 * is longer, or equally long with a lower tip VRF value (Praos tie-break; BFT keeps the current).
 */
export function prefersCandidate(
  current: TipSummary,
  candidate: TipSummary,
  forkDepth: number,
  k: number,
): boolean {
  if (forkDepth > k) return false
  if (candidate.index !== current.index) return candidate.index > current.index
  if (candidate.vrfOutput.length === 0 || current.vrfOutput.length === 0) return false
  return compareBytes(candidate.vrfOutput, current.vrfOutput) < 0
}

/** The chain-selection summary of a header. */
export function tipOf(header: BlockHeader): TipSummary {
  return { index: header.index, vrfOutput: header.vrfOutput }
}
