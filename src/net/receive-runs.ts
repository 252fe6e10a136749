// Handing what sync fetched to the node: runs of blocks decoded in short slices, passed on in order
// with the next run's signatures verifying while the one before is applied.
import { type Block, decodeBlock } from '../ledger/block.ts'
import { TimeSlice } from '../time-slice.ts'
import { decodeBlocks } from './messages.ts'
import type { BlockOutcome, ChainIntake } from './network-components.ts'

/** Decodes a blocks response in short slices: a response holds up to 100 full blocks, too long for one task of a tab. */
export async function decodeRun(response: Uint8Array): Promise<Block[]> {
  const slice = new TimeSlice()
  const blocks: Block[] = []
  for (const bytes of decodeBlocks(response)) {
    blocks.push(decodeBlock(bytes))
    await slice.check()
  }
  return blocks
}

/**
 * Hands linked runs of blocks to the node in order and returns how many were added. Two are in
 * hand at a time: the next run's signatures verify while the one before is applied and written,
 * and the run after it is fetched meanwhile. Stops at the first run the node refuses.
 */
export async function receiveRuns(
  intake: Pick<ChainIntake, 'receiveBlocks'>,
  runs: AsyncIterable<Block[]>,
  options: { from?: string; signal?: AbortSignal; onRun?: (run: Block[]) => void } = {},
): Promise<number> {
  const { onRun, ...intakeOptions } = options
  let added = 0
  let previous: { run: Block[]; outcome: Promise<BlockOutcome> } | undefined
  const settle = async ({ run, outcome }: NonNullable<typeof previous>): Promise<void> => {
    if ((await outcome) === 'added') added += run.length
    onRun?.(run)
  }
  let latest: Promise<unknown> = Promise.resolve()
  try {
    for await (const run of runs) {
      const outcome = intake.receiveBlocks(run, { ...intakeOptions, verifyAhead: true })
      latest = outcome.catch(() => {}) // a failure surfaces when settled, after the run before it
      if (previous !== undefined) await settle(previous)
      previous = { run, outcome }
    }
    if (previous !== undefined) await settle(previous)
    return added
  } catch (err) {
    await latest // the node is done with every run handed over before this fails
    throw err
  }
}
