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

/** Runs handed to the node beyond the one it applies: their signatures verify meanwhile. */
const RUNS_AHEAD = 2

/**
 * Hands linked runs of blocks to the node in order and returns how many were added. While the
 * node applies and writes one run, the next ones' signatures verify on other cores and the run
 * after them is fetched: verification does not wait for the page's thread or the disk. Stops at
 * the first run the node refuses.
 */
export async function receiveRuns(
  intake: Pick<ChainIntake, 'receiveBlocks'>,
  runs: AsyncIterable<Block[]>,
  options: { from?: string; signal?: AbortSignal; onRun?: (run: Block[]) => void } = {},
): Promise<number> {
  const { onRun, ...intakeOptions } = options
  let added = 0
  const handed: { run: Block[]; outcome: Promise<BlockOutcome> }[] = []
  const settleOldest = async (): Promise<void> => {
    const { run, outcome } = handed.shift()!
    if ((await outcome) === 'added') added += run.length
    onRun?.(run)
  }
  const iterator = runs[Symbol.asyncIterator]()
  let fetched = iterator.next()
  let latest: Promise<unknown> = Promise.resolve()
  try {
    for (let next = await fetched; next.done !== true; next = await fetched) {
      const outcome = intake.receiveBlocks(next.value, { ...intakeOptions, verifyAhead: true })
      latest = outcome.catch(() => {}) // a failure surfaces when settled, after the runs before it
      handed.push({ run: next.value, outcome })
      fetched = iterator.next()
      fetched.catch(() => {}) // a failure surfaces when awaited, after the runs before it are settled
      if (handed.length > RUNS_AHEAD) await settleOldest()
    }
    while (handed.length > 0) await settleOldest()
    return added
  } catch (err) {
    await latest // the node is done with every run handed over before this fails
    // Runs it took before the failure still count as progress.
    for (const { run, outcome } of handed) {
      const taken = await outcome.then(
        () => true,
        () => false,
      )
      if (!taken) break
      onRun?.(run)
    }
    void fetched.then(() => iterator.return?.()).catch(() => {})
    throw err
  }
}
