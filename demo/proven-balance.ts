// The wallet's balance before the tab's own chain has it: read from the relay with a proof, checked
// against the state root the answer names, and checked again against the tab's own copy of that
// block once its chain reaches it (a relay that lied is caught then).
import type { WorkerNode } from '../platform/browser/worker-node/worker-node.ts'
import { equalBytes } from '../src/encoding/hash.ts'
import { type Address, provenAccountFromJson, verifyAccountProof } from '../src/index.ts'

/** A balance proven at a block: the block and the state root the proof was checked against. */
export interface ProvenBalance {
  balance: bigint
  index: number
  hash: Uint8Array
  stateRoot: Uint8Array
}

/** Reads `address`'s balance from the relay at `base` with its proof; throws when the answer or its proof does not hold. */
export async function readProvenBalance(base: string, address: Address): Promise<ProvenBalance> {
  const res = await fetch(`${base}/accounts/${address}?proof=1`)
  if (!res.ok) throw new Error(`GET /accounts/${address}?proof=1 answered ${res.status}`)
  const read = provenAccountFromJson(await res.json())
  if (read.address !== address || !verifyAccountProof(read.stateRoot, address, read.account, read.proof))
    throw new Error(`the relay's proof of ${address} does not verify against the state root it names`)
  return {
    balance: read.account?.balance ?? 0n,
    index: read.block.index,
    hash: read.block.hash,
    stateRoot: read.stateRoot,
  }
}

/**
 * Whether the tab's own chain holds the proven block with the state root the proof was checked
 * against: true, false (the relay lied), or undefined while the tab's chain is not there yet.
 */
export async function confirmOnOwnChain(
  node: WorkerNode,
  proven: ProvenBalance,
): Promise<boolean | undefined> {
  if (node.getState().tip.index < proven.index) return undefined
  const [block] = await node.getBlocks(proven.index, 1)
  if (block?.header.index !== proven.index) return undefined
  const root = block.header.stateRoot
  return equalBytes(block.hash, proven.hash) && root !== undefined && equalBytes(root, proven.stateRoot)
}
