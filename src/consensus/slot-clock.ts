import type { Genesis } from '../genesis.ts'

/** The slot in progress at `now` (negative before genesis). */
export function slotAt(genesis: Genesis, now: number): number {
  return Math.floor((now - genesis.genesisTime) / genesis.slotMs)
}

/** The moment (Unix ms) a slot starts. */
export function slotStart(genesis: Genesis, slot: number): number {
  return genesis.genesisTime + slot * genesis.slotMs
}

/** The epoch a slot belongs to. */
export function epochOf(genesis: Genesis, slot: number): number {
  return Math.floor(slot / genesis.epochLength)
}
