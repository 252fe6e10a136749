// What a state root costs per block: a state tree over `accounts` entries, then blocks of 100
// transfers (200 accounts changed each) applied to it and committed to the platform store.
import { hash } from '../src/encoding/hash.ts'
import type { Platform } from '../src/ports.ts'
import { StateTree, type TreeChange } from '../src/state/state-tree.ts'
import { EMPTY } from '../src/state/tree-hashing.ts'
import { TreeNodeStore } from '../src/state/tree-node-store.ts'
import type { Figure } from './cases.ts'

/** Accounts one block of 100 transfers changes: each sender and each recipient. */
const CHANGED_PER_BLOCK = 200
/** Entries written per update while the tree is built (bounds the memory of one batch). */
const BUILD_CHUNK = 50_000

const key = (n: number): Uint8Array => {
  const id = new Uint8Array(8)
  new DataView(id.buffer).setFloat64(0, n)
  return hash(id)
}

/** Build time, per-block update time (ms, mean of `blocks`) and nodes written per block at `accounts` entries. */
export async function stateTreeFigures(
  platform: Platform,
  accounts: number,
  blocks: number,
): Promise<Figure[]> {
  const store = await platform.openStore('state-tree-bench')
  try {
    const nodes = new TreeNodeStore(store)
    const tree = new StateTree(nodes)
    const label = `${accounts / 1000}k accounts`
    let root = EMPTY
    const built = performance.now()
    for (let from = 0; from < accounts; from += BUILD_CHUNK) {
      const changes: TreeChange[] = []
      for (let n = from; n < Math.min(accounts, from + BUILD_CHUNK); n++) changes.push([key(n), key(-n - 1)])
      const result = await tree.update(root, changes)
      await store.batch(nodes.ops(result.writes))
      root = result.root
    }
    const buildMs = performance.now() - built
    let written = 0
    const started = performance.now()
    for (let b = 0; b < blocks; b++) {
      const changes: TreeChange[] = []
      for (let i = 0; i < CHANGED_PER_BLOCK; i++) {
        const n = Math.floor(Math.random() * accounts)
        if (!changes.some(([k]) => k === undefined)) changes.push([key(n), key(b * 1000 + i + accounts)])
      }
      const unique = [...new Map(changes.map((c) => [c[0].join(), c])).values()]
      const result = await tree.update(root, unique)
      await store.batch(nodes.ops(result.writes))
      written += result.writes.length
      root = result.root
    }
    const perBlockMs = (performance.now() - started) / blocks
    return [
      { name: `state tree: build, ${label}`, value: buildMs / 1000, unit: 's' },
      {
        name: `state root per block of 100 transfers (update + commit), ${label}`,
        value: perBlockMs,
        unit: 'ms',
      },
      { name: `state tree nodes written per block, ${label}`, value: written / blocks, unit: 'nodes' },
    ]
  } finally {
    await store.close()
  }
}
