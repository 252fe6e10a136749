import { ManualClock } from '../../src/clock/manual-clock.ts'
import { slotStart } from '../../src/consensus/slot-clock.ts'
import type { Genesis } from '../../src/genesis.ts'
import type { PPNode } from '../../src/node.ts'
import type { Platform } from '../../src/ports.ts'

/** A platform whose clock the test drives. */
export function drivenPlatform(
  platform: Platform,
  genesis: Genesis,
): { platform: Platform; clock: ManualClock } {
  const clock = new ManualClock(slotStart(genesis, 0))
  return { platform: { ...platform, clock }, clock }
}

/** Resolves when the node has finished handling `slot` (its `slot` event), with whether it produced. */
export function slotHandled(node: PPNode, slot: number, timeoutMs = 20_000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`slot ${slot} was not handled within ${timeoutMs} ms`)),
      timeoutMs,
    )
    const onSlot = (event: CustomEvent<{ slot: number; produced: boolean }>): void => {
      if (event.detail.slot < slot) return
      clearTimeout(timer)
      node.removeEventListener('slot', onSlot)
      resolve(event.detail.produced)
    }
    node.addEventListener('slot', onSlot)
  })
}

/** Moves the driven clock to the start of each slot in turn and waits for the node to handle it. */
export async function driveSlots(
  node: PPNode,
  clock: ManualClock,
  genesis: Genesis,
  from: number,
  to: number,
): Promise<number> {
  let produced = 0
  for (let slot = from; slot <= to; slot++) {
    const handled = slotHandled(node, slot)
    clock.set(slotStart(genesis, slot))
    if (await handled) produced++
  }
  return produced
}
