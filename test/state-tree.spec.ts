import { expect } from 'chai'
import fc from 'fast-check'
import { hash, toHex } from '../src/encoding/hash.ts'
import type { Store } from '../src/ports.ts'
import { verifyStateProof } from '../src/state/state-proof.ts'
import { MissingTreeNodeError, StateTree, type TreeChange } from '../src/state/state-tree.ts'
import { bitAt, EMPTY, internalHash, leafHash } from '../src/state/tree-hashing.ts'
import { TreeNodeStore } from '../src/state/tree-node-store.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

const key = (n: number): Uint8Array => hash(new TextEncoder().encode(`key ${n}`))
const value = (n: number, v: number): Uint8Array => hash(new TextEncoder().encode(`value ${n}=${v}`))

/** The root by the definition, from scratch: empty, one leaf, or a parent of the two halves by the next bit. */
function referenceRoot(entries: Array<[Uint8Array, Uint8Array]>, depth = 0): Uint8Array {
  if (entries.length === 0) return EMPTY
  if (entries.length === 1) return leafHash(...entries[0])
  const left = entries.filter(([k]) => bitAt(k, depth) === 0)
  const right = entries.filter(([k]) => bitAt(k, depth) === 1)
  return internalHash(referenceRoot(left, depth + 1), referenceRoot(right, depth + 1))
}

/** A tree over an in-memory node map (the reference side of the property tests). */
function memoryTree(): {
  tree: StateTree
  nodes: Map<string, Uint8Array>
  apply: (root: Uint8Array, changes: TreeChange[]) => Promise<Uint8Array>
} {
  const nodes = new Map<string, Uint8Array>()
  const tree = new StateTree({ get: async (h) => nodes.get(toHex(h)) })
  return {
    tree,
    nodes,
    apply: async (root, changes) => {
      const result = await tree.update(root, changes)
      for (const [h, node] of result.writes) nodes.set(toHex(h), node)
      return result.root
    },
  }
}

describe('state tree (sparse Merkle tree over 256-bit keys)', () => {
  it('the root depends on the entries alone: not on write order, batching, or entries written then removed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.uniqueArray(fc.integer({ min: 301, max: 400 }), { maxLength: 10 }),
        async (ids, batch, removed) => {
          const a = memoryTree()
          const all: TreeChange[] = ids.map((n) => [key(n), value(n, 1)])
          const rootA = await a.apply(EMPTY, all)
          const b = memoryTree()
          let rootB = EMPTY
          // Reverse order, in batches, with extra keys added then removed on the way.
          const reversed = [...all].reverse()
          rootB = await b.apply(
            rootB,
            removed.map((n) => [key(n), value(n, 9)]),
          )
          for (let i = 0; i < reversed.length; i += batch)
            rootB = await b.apply(rootB, reversed.slice(i, i + batch))
          rootB = await b.apply(
            rootB,
            removed.map((n) => [key(n), undefined]),
          )
          expect(toHex(rootB)).to.equal(toHex(rootA))
          expect(toHex(rootA)).to.equal(toHex(referenceRoot(ids.map((n) => [key(n), value(n, 1)]))))
          if (ids.length === 0) expect(toHex(rootA)).to.equal(toHex(EMPTY))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('changing, adding or removing any one entry changes the root', async () => {
    const t = memoryTree()
    const ids = Array.from({ length: 40 }, (_, i) => i)
    const root = await t.apply(
      EMPTY,
      ids.map((n) => [key(n), value(n, 1)]),
    )
    const roots = new Set([toHex(root)])
    for (const n of [0, 7, 39]) {
      roots.add(toHex(await t.apply(root, [[key(n), value(n, 2)]])))
      roots.add(toHex(await t.apply(root, [[key(n), undefined]])))
    }
    roots.add(toHex(await t.apply(root, [[key(1000), value(1000, 1)]])))
    expect(roots.size).to.equal(8)
  })

  it('proves presence and absence; a proof for another value, key or root is refused', async () => {
    const t = memoryTree()
    const ids = Array.from({ length: 200 }, (_, i) => i)
    const root = await t.apply(
      EMPTY,
      ids.map((n) => [key(n), value(n, 1)]),
    )
    for (const n of [0, 1, 99, 199]) {
      const proof = await t.tree.prove(root, key(n))
      expect(verifyStateProof(root, key(n), value(n, 1), proof)).to.equal(true)
      expect(verifyStateProof(root, key(n), value(n, 2), proof)).to.equal(false)
      expect(verifyStateProof(root, key(n), undefined, proof)).to.equal(false)
      expect(verifyStateProof(root, key(n + 1), value(n, 1), proof)).to.equal(false)
      const other = await t.apply(root, [[key(500), value(500, 1)]])
      expect(verifyStateProof(other, key(n), value(n, 1), proof)).to.equal(false)
      const flipped = {
        ...proof,
        siblings: proof.siblings.map((s, i) => (i === 0 ? s.map((b, j) => (j === 0 ? b ^ 1 : b)) : s)),
      }
      expect(verifyStateProof(root, key(n), value(n, 1), flipped)).to.equal(false)
      expect(await t.tree.get(root, key(n))).to.deep.equal(value(n, 1))
    }
    for (const n of [1000, 1001, 1002, 1003, 1004]) {
      const proof = await t.tree.prove(root, key(n))
      expect(verifyStateProof(root, key(n), undefined, proof)).to.equal(true)
      expect(verifyStateProof(root, key(n), value(n, 1), proof)).to.equal(false)
      expect(await t.tree.get(root, key(n))).to.equal(undefined)
    }
    // A present key's proof cannot be passed off as its absence by naming another leaf.
    const present = await t.tree.prove(root, key(5))
    const lie = { siblings: present.siblings, leaf: { key: key(6), valueHash: value(6, 1) } }
    expect(verifyStateProof(root, key(5), undefined, lie)).to.equal(false)
  })

  it('an update reads and writes only the paths of the keys it changes', async () => {
    const t = memoryTree()
    const root = await t.apply(
      EMPTY,
      Array.from({ length: 4096 }, (_, n) => [key(n), value(n, 1)]),
    )
    let reads = 0
    const counting = new StateTree({
      get: async (h) => {
        reads++
        return t.nodes.get(toHex(h))
      },
    })
    const { writes } = await counting.update(root, [[key(17), value(17, 2)]])
    // A path is ~log2(4096) = 12 nodes deep (plus a few for shared prefixes).
    expect(writes.length).to.be.within(10, 24)
    expect(reads).to.be.within(10, 24)
  })

  describe('over the platform store (LevelDB in Node, IndexedDB in browsers)', () => {
    let env: TestPlatform
    let store: Store
    beforeEach(async () => {
      env = await testPlatform()
      store = await env.platform.openStore('state')
    })
    afterEach(async () => {
      await store.close().catch(() => {})
      await env.dispose()
    })

    it('a root committed with its nodes reads and proves the same after the store is reopened', async () => {
      const nodes = new TreeNodeStore(store)
      const tree = new StateTree(nodes)
      const first = await tree.update(
        EMPTY,
        Array.from({ length: 500 }, (_, n) => [key(n), value(n, 1)]),
      )
      await store.batch(nodes.ops(first.writes))
      const second = await tree.update(first.root, [
        [key(3), value(3, 2)],
        [key(4), undefined],
      ])
      await store.batch(nodes.ops(second.writes))
      await store.close()
      store = await env.platform.openStore('state')
      const reopened = new StateTree(new TreeNodeStore(store))
      expect(await reopened.get(second.root, key(3))).to.deep.equal(value(3, 2))
      expect(await reopened.get(second.root, key(4))).to.equal(undefined)
      // The earlier root still reads as it was (old nodes stay until pruned).
      expect(await reopened.get(first.root, key(3))).to.deep.equal(value(3, 1))
      const proof = await reopened.prove(second.root, key(400))
      expect(verifyStateProof(second.root, key(400), value(400, 1), proof)).to.equal(true)
    })

    it('a root whose nodes were never committed fails with a typed error, not a wrong answer', async () => {
      const nodes = new TreeNodeStore(store)
      const { root } = await new StateTree(nodes).update(EMPTY, [
        [key(1), value(1, 1)],
        [key(2), value(2, 1)],
      ])
      const fresh = new StateTree(new TreeNodeStore(store))
      const err = await fresh.get(root, key(1)).then(
        () => undefined,
        (e: Error) => e,
      )
      expect(err).to.be.instanceOf(MissingTreeNodeError)
    })
  })
})
