// What a state root costs per block: the accounts tree over `accounts` accounts, then blocks of
// 100 transfers (200 accounts changed each), the last k trees held (as a chain holds its unsettled states).

import { hash } from '../src/encoding/hash.ts'
import type { Account } from '../src/ledger/account-layers.ts'
import { addressOf } from '../src/ledger/address.ts'
import { accountsTree, nextAccountsTree } from '../src/ledger/state-root.ts'
import type { StateTree } from '../src/state/state-tree.ts'
import type { Figure } from './cases.ts'

/** Accounts one block of 100 transfers changes: each sender and each recipient. */
const CHANGED_PER_BLOCK = 200
/** Trees held at once (as a chain's k unsettled states). */
const K = 10

const addressAt = (n: number): string => {
  const id = new Uint8Array(8)
  new DataView(id.buffer).setFloat64(0, n)
  return addressOf(hash(id))
}

/** Build time and per-block update time (ms, mean of `blocks`) of the accounts tree at `accounts` accounts. */
export function stateTreeFigures(accounts: number, blocks: number): Figure[] {
  const label = `${accounts >= 1e6 ? `${accounts / 1e6}M` : `${accounts / 1e3}k`} accounts`
  const all: Array<[string, Account]> = []
  for (let n = 0; n < accounts; n++) all.push([addressAt(n), { balance: 1000n, nonce: 0 }])
  const built = performance.now()
  let tree = accountsTree(all)
  const buildMs = performance.now() - built
  const layers: StateTree[] = []
  let seed = 7
  const started = performance.now()
  for (let b = 0; b < blocks; b++) {
    const changed = new Map<string, Account>()
    for (let i = 0; i < CHANGED_PER_BLOCK; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      changed.set(all[seed % accounts][0], { balance: BigInt(b * 1000 + i), nonce: b + 1 })
    }
    tree = nextAccountsTree(tree, changed)
    layers.push(tree)
    if (layers.length > K) layers.shift()
  }
  const perBlockMs = (performance.now() - started) / blocks
  return [
    { name: `accounts tree: build, ${label}`, value: buildMs / 1000, unit: 's' },
    { name: `state root per block of 100 transfers, ${label}`, value: perBlockMs, unit: 'ms' },
  ]
}
