import { expect } from 'chai'
import fc from 'fast-check'
import { equalBytes, hash, toHex } from '../src/encoding/hash.ts'
import { provenRoot } from '../src/state/state-proof.ts'
import {
  rootOfSubtrees,
  type StateProof,
  StateTree,
  subtreeOf,
  type TreeEntry,
} from '../src/state/state-tree.ts'
import { bitAt, EMPTY, internalHash, leafHash } from '../src/state/tree-hashing.ts'

const key = (n: number): Uint8Array => hash(new TextEncoder().encode(`key ${n}`))
const value = (n: number, v: number): Uint8Array => hash(new TextEncoder().encode(`value ${n}=${v}`))
const entries = (ids: number[], v = 1): TreeEntry[] => ids.map((n) => [key(n), value(n, v)])

/** The root by the definition, from scratch: empty, one leaf, or a parent of the two halves by the next bit. */
function referenceRoot(list: readonly TreeEntry[], depth = 0): Uint8Array {
  if (list.length === 0) return EMPTY
  if (list.length === 1) return leafHash(...list[0])
  const left = list.filter(([k]) => bitAt(k, depth) === 0)
  const right = list.filter(([k]) => bitAt(k, depth) === 1)
  return internalHash(referenceRoot(left, depth + 1), referenceRoot(right, depth + 1))
}

const verify = (root: Uint8Array, k: Uint8Array, v: Uint8Array | undefined, proof: StateProof): boolean => {
  const proven = provenRoot(k, v, proof)
  return proven !== undefined && equalBytes(proven, root)
}

describe('state tree (sparse Merkle tree over 256-bit keys, immutable and shared between versions)', () => {
  it('the root depends on the entries alone: not on write order, batching, or values overwritten on the way', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        (ids, batch) => {
          const all = entries(ids)
          const a = StateTree.of(all)
          // Reverse order, in batches, each value first written wrong then corrected.
          let b = StateTree.of([])
          const reversed = [...ids].reverse()
          for (let i = 0; i < reversed.length; i += batch) {
            const some = reversed.slice(i, i + batch)
            b = b.update(entries(some, 9)).update(entries(some))
          }
          expect(toHex(b.root)).to.equal(toHex(a.root))
          expect(toHex(a.root)).to.equal(toHex(referenceRoot(all)))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('changing or adding any one entry changes the root; earlier trees still read as they were', () => {
    const base = StateTree.of(entries(Array.from({ length: 40 }, (_, i) => i)))
    const roots = new Set([toHex(base.root)])
    for (const n of [0, 7, 39]) {
      const next = base.update([[key(n), value(n, 2)]])
      roots.add(toHex(next.root))
      expect(next.get(key(n))).to.deep.equal(value(n, 2))
      expect(base.get(key(n))).to.deep.equal(value(n, 1))
    }
    roots.add(toHex(base.update([[key(1000), value(1000, 1)]]).root))
    expect(roots.size).to.equal(5)
  })

  it('proves presence and absence; a proof for another value, key or root is refused', () => {
    const tree = StateTree.of(entries(Array.from({ length: 200 }, (_, i) => i)))
    const other = tree.update([[key(500), value(500, 1)]])
    for (const n of [0, 1, 99, 199]) {
      const proof = tree.prove(key(n))
      expect(verify(tree.root, key(n), value(n, 1), proof)).to.equal(true)
      expect(verify(tree.root, key(n), value(n, 2), proof)).to.equal(false)
      expect(verify(tree.root, key(n), undefined, proof)).to.equal(false)
      expect(verify(tree.root, key(n + 1), value(n, 1), proof)).to.equal(false)
      expect(verify(other.root, key(n), value(n, 1), proof)).to.equal(false)
      const flipped = {
        ...proof,
        siblings: proof.siblings.map((s, i) => (i === 0 ? s.map((b, j) => (j === 0 ? b ^ 1 : b)) : s)),
      }
      expect(verify(tree.root, key(n), value(n, 1), flipped)).to.equal(false)
    }
    for (const n of [1000, 1001, 1002, 1003, 1004]) {
      const proof = tree.prove(key(n))
      expect(verify(tree.root, key(n), undefined, proof)).to.equal(true)
      expect(verify(tree.root, key(n), value(n, 1), proof)).to.equal(false)
      expect(tree.get(key(n))).to.equal(undefined)
    }
    // A present key's proof cannot be passed off as its absence by naming another leaf.
    const present = tree.prove(key(5))
    const lie = { siblings: present.siblings, leaf: { key: key(6), valueHash: value(6, 1) } }
    expect(verify(tree.root, key(5), undefined, lie)).to.equal(false)
  })

  it("a parent cannot be passed off as a leaf: a false absence built from a parent's two children is refused", () => {
    const tree = StateTree.of(entries(Array.from({ length: 50 }, (_, i) => i)))
    const absent = key(1000)
    // The root's two children, read off a proof: the sibling at depth 0 and the hash one level down.
    const path = tree.prove(absent).siblings
    const ours = entries(Array.from({ length: 50 }, (_, i) => i)).filter(
      ([k]) => bitAt(k, 0) === bitAt(absent, 0),
    )
    const down = subtreeOf(ours, 1).hash
    const [left, right] = bitAt(absent, 0) === 0 ? [down, path[0]] : [path[0], down]
    expect(toHex(internalHash(left, right))).to.equal(toHex(tree.root))
    // "The path ends at once, at a leaf of key `left` and value hash `right`": it would hash to the
    // root if leaves and parents hashed alike.
    const lie: StateProof = { siblings: [], leaf: { key: left, valueHash: right } }
    expect(verify(tree.root, absent, undefined, lie)).to.equal(false)
  })

  it('versions held across many updates (the arena compacting under them) keep their roots, proofs and values', () => {
    let current = new Map(
      entries(Array.from({ length: 300 }, (_, i) => i)).map(([k, v]) => [toHex(k), [k, v] as const]),
    )
    let tree = StateTree.of([...current.values()])
    const held: Array<{ tree: StateTree; contents: Map<string, TreeEntry> }> = []
    let seed = 11
    for (let round = 1; round <= 150; round++) {
      const changed: TreeEntry[] = []
      for (let i = 0; i < 20; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31
        const n = seed % 400 // some keys new, most changed
        if (!changed.some(([k]) => equalBytes(k, key(n)))) changed.push([key(n), value(n, round)])
      }
      tree = tree.update(changed)
      current = new Map(current)
      for (const entry of changed) current.set(toHex(entry[0]), entry)
      if (round % 25 === 0) held.push({ tree, contents: current })
    }
    for (const { tree: version, contents } of held) {
      expect(toHex(version.root)).to.equal(toHex(referenceRoot([...contents.values()])))
      for (const n of [0, 7, 299, 350, 399, 1000]) {
        const entry = contents.get(toHex(key(n)))
        expect(version.get(key(n))).to.deep.equal(entry?.[1])
        expect(verify(version.root, key(n), entry?.[1], version.prove(key(n)))).to.equal(true)
      }
    }
  })

  it('splits into 2^d subtrees that each match their own entries alone and fold back to the root', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { minLength: 0, maxLength: 80 }),
        fc.integer({ min: 0, max: 6 }),
        (ids, depth) => {
          const list = entries(ids)
          const tree = StateTree.of(list.slice(0, 10)).update(list.slice(10))
          const subtrees = tree.subtrees(depth)
          expect(subtrees).to.have.length(2 ** depth)
          expect(toHex(rootOfSubtrees(subtrees))).to.equal(toHex(tree.root))
          subtrees.forEach((subtree, i) => {
            const own = list.filter(([k]) => k[0] >> (8 - depth) === i || depth === 0)
            const alone = subtreeOf(own, depth)
            expect([alone.kind, toHex(alone.hash)]).to.deep.equal([subtree.kind, toHex(subtree.hash)])
          })
        },
      ),
      { numRuns: 60 },
    )
  })

  it('keys ground to share a long prefix (past 52 bits) still land, prove and match the definition', () => {
    // Keys equal in their first 60 bits (as a grinding attacker could make a few of).
    const shared = (n: number): Uint8Array => {
      const k = key(n).slice()
      k.fill(0xab, 0, 7)
      k[7] = (k[7] & 0x0f) | 0xa0
      return k
    }
    const list: TreeEntry[] = [0, 1, 2, 3].map((n) => [shared(n), value(n, 1)])
    const tree = StateTree.of(list.slice(0, 2)).update(list.slice(2))
    expect(toHex(tree.root)).to.equal(toHex(referenceRoot(list)))
    for (const [k, v] of list) {
      expect(verify(tree.root, k, v, tree.prove(k))).to.equal(true)
      expect(tree.prove(k).siblings.length).to.be.above(59)
    }
  })

  it('forks share the nodes below them and every later and earlier tree stays readable', () => {
    const genesis = StateTree.of(entries([1, 2, 3]))
    const a1 = genesis.update(entries([4]))
    const a2 = a1.update([[key(1), value(1, 5)]])
    const b1 = genesis.update(entries([5]))
    expect(toHex(a2.root)).to.equal(toHex(referenceRoot([...entries([2, 3, 4]), [key(1), value(1, 5)]])))
    expect(toHex(b1.root)).to.equal(toHex(referenceRoot(entries([1, 2, 3, 5]))))
    expect(genesis.get(key(4))).to.equal(undefined)
    expect(genesis.get(key(1))).to.deep.equal(value(1, 1))
    expect(b1.get(key(5))).to.deep.equal(value(5, 1))
    expect(a2.get(key(4))).to.deep.equal(value(4, 1))
    // Proofs from an older tree still verify against its root.
    expect(verify(genesis.root, key(4), undefined, genesis.prove(key(4)))).to.equal(true)
    expect(verify(b1.root, key(1), value(1, 1), b1.prove(key(1)))).to.equal(true)
  })
})
