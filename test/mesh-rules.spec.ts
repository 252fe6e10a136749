import { expect } from 'chai'
import { type ConnectionView, DIALLER_DECIDES_MS, redundantConnections } from '../src/net/duplicate-choice.ts'
import { evictionVictim, GRACE_MS, type PeerView } from '../src/net/eviction.ts'

/** One connection as seen from both of its ends: the dialler's open time and the dialled end's. */
interface Link {
  name: string
  dialler: 'a' | 'b'
  openedAtA: number
  openedAtB: number
}

/** What end `end` sees of the links: each with its direction at that end and its local open time. */
function seenBy(end: 'a' | 'b', links: Link[]): Array<ConnectionView & { name: string }> {
  return links.map((l) => ({
    name: l.name,
    direction: l.dialler === end ? 'outbound' : 'inbound',
    timeline: { open: end === 'a' ? l.openedAtA : l.openedAtB },
  }))
}

/** The links left once each end has closed what it judges redundant at time `now`. */
function survivors(a: string, b: string, links: Link[], now: number): string[] {
  const closedByA = redundantConnections(a, b, seenBy('a', links), now).map((c) => c.name)
  const closedByB = redundantConnections(b, a, seenBy('b', links), now).map((c) => c.name)
  return links.map((l) => l.name).filter((n) => !closedByA.includes(n) && !closedByB.includes(n))
}

describe('peer mesh rules', () => {
  describe('duplicate connections: both ends keep the same one', () => {
    const [small, large] = ['12D3KooWAAAA', '12D3KooWZZZZ']

    it('two connections dialled by the same end, whose open times are in another order at each end, leave one link up', () => {
      // The smaller id dials twice at once; its handshakes finish in one order, the other end's
      // in the other (each end stamps "open" when its own upgrade completes).
      const links: Link[] = [
        { name: 'first', dialler: 'a', openedAtA: 100, openedAtB: 106 },
        { name: 'second', dialler: 'a', openedAtA: 105, openedAtB: 104 },
      ]
      expect(survivors(small, large, links, 110)).to.have.length(1)
      // Also when the larger id is the one that dialled both.
      const fromLarge = links.map((l) => ({ ...l, dialler: 'b' as const }))
      expect(survivors(small, large, fromLarge, 110)).to.have.length(1)
    })

    it('connections both ways: the one dialled by the smaller id stays, on both ends', () => {
      const links: Link[] = [
        { name: 'by-large', dialler: 'b', openedAtA: 100, openedAtB: 100 },
        { name: 'by-small', dialler: 'a', openedAtA: 101, openedAtB: 101 },
      ]
      expect(survivors(small, large, links, 110)).to.deep.equal(['by-small'])
      expect(survivors(large, small, links, 110)).to.deep.equal(['by-large'])
    })

    it('the dialled end closes extra connections itself when the dialler leaves them open', () => {
      const inbound = seenBy('b', [
        { name: 'x', dialler: 'a', openedAtA: 0, openedAtB: 0 },
        { name: 'y', dialler: 'a', openedAtA: 1, openedAtB: 1 },
      ])
      expect(redundantConnections(large, small, inbound, 2)).to.deep.equal([])
      expect(
        redundantConnections(large, small, inbound, 1 + DIALLER_DECIDES_MS).map((c) => c.name),
      ).to.deep.equal(['y'])
    })
  })

  describe('eviction: idle peers go first, newcomers have a reserve', () => {
    const peer = (id: string, openedAt: number, lastUseful?: number, engaged = false): PeerView => ({
      id,
      openedAt,
      lastUseful,
      engaged,
    })
    const now = 100_000

    it('a newcomer beside settled idle peers is kept (reserve); once settled, the longest idle peer goes, not the subscribed newcomer', () => {
      const idle = [peer('idle1', 0), peer('idle2', 1000), peer('idle3', 2000)]
      const honest = peer('honest', now - 100, undefined, true)
      expect(evictionVictim([...idle, honest], 3, now)).to.equal(undefined)
      expect(evictionVictim([...idle, honest], 3, now + GRACE_MS)).to.equal('idle1')
    })

    it('idle before subscribed-only (the newest of those) before useful (the least recently useful)', () => {
      const peers = [
        peer('recent', 0, now - 1),
        peer('old', 0, 10),
        peer('sub-old', 0, undefined, true),
        peer('sub-new', 50_000, undefined, true),
        peer('idle', 60_000),
      ]
      expect(evictionVictim(peers, 4, now)).to.equal('idle')
      expect(evictionVictim(peers.slice(0, 4), 3, now)).to.equal('sub-new')
      expect(evictionVictim(peers.slice(0, 3), 2, now)).to.equal('sub-old')
      expect(evictionVictim(peers.slice(0, 2), 1, now)).to.equal('old')
    })

    it('a flood of newcomers beyond the reserve loses its newest idle member, never a settled useful peer', () => {
      const useful = [peer('u1', 0, now - 10), peer('u2', 0, now - 20), peer('u3', 0, now - 30)]
      const flood = [peer('n1', now - 300), peer('n2', now - 200), peer('n3', now - 100, undefined, true)]
      expect(evictionVictim([...useful, ...flood], 3, now)).to.equal('n2')
    })
  })
})
