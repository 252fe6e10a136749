import { expect } from 'chai'
import { PeerScores } from '../src/net/peer-scores.ts'

describe('peer scores', () => {
  it('bans a peer after repeated offences, for the ban period only', () => {
    let now = 0
    const scores = new PeerScores({ penalty: 25, banThreshold: -100, banMs: 60_000, now: () => now })
    for (let i = 0; i < 3; i++) expect(scores.penalise('p', 'bad block')).to.equal(false)
    expect(scores.score('p')).to.equal(-75)
    expect(scores.penalise('p', 'bad block')).to.equal(true)
    expect(scores.isBanned('p')).to.equal(true)
    expect(scores.isBanned('other')).to.equal(false)
    now += 60_001
    expect(scores.isBanned('p')).to.equal(false)
  })

  it('heals offences over time so a rare mistake never leads to a ban', () => {
    let now = 0
    const scores = new PeerScores({ penalty: 25, banThreshold: -100, healPerSecond: 1, now: () => now })
    for (let i = 0; i < 10; i++) {
      expect(scores.penalise('p', 'stale tx')).to.equal(false)
      now += 30_000
    }
    expect(scores.score('p')).to.equal(0)
  })
})
