import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { networkOf } from '../src/net/network-prefix.ts'
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

  it('charges wasted work only past a free allowance', () => {
    let now = 0
    const scores = new PeerScores({
      wasteAllowance: 5,
      wasteRefillPerSecond: 1,
      wasteWeight: 0.2,
      now: () => now,
    })
    for (let i = 0; i < 5; i++) scores.chargeWaste('p', 'stale tx')
    expect(scores.score('p')).to.equal(0)
    scores.chargeWaste('p', 'stale tx')
    expect(scores.score('p')).to.equal(-5) // a fifth of a 25-point offence
    now += 3_000 // three tokens back (and 0.3 points healed)
    for (let i = 0; i < 3; i++) scores.chargeWaste('p', 'stale tx')
    expect(scores.score('p')).to.be.closeTo(-4.7, 1e-9)
  })

  it('bans a network whose fresh peer ids keep offending, and refuses its next new id', () => {
    const scores = new PeerScores({ penalty: 25, banThreshold: -100, now: () => 0 })
    for (let i = 0; i < 4; i++) scores.penalise(`throwaway-${i}`, 'bad block', 1, '203.0.113.0/24')
    expect(scores.isNetworkBanned('203.0.113.0/24')).to.equal(true)
    expect(scores.isBanned('fresh-id', '203.0.113.0/24')).to.equal(true)
    expect(scores.isBanned('fresh-id', '198.51.100.0/24')).to.equal(false)
  })

  it('cannot have its bans flushed by a churn of throwaway ids', () => {
    const scores = new PeerScores({ maxRecords: 100, now: () => 0 })
    for (let i = 0; i < 4; i++) scores.penalise('villain', 'bad block')
    expect(scores.isBanned('villain')).to.equal(true)
    for (let i = 0; i < 10_000; i++) scores.penalise(`sybil-${i}`, 'bad block')
    expect(scores.isBanned('villain')).to.equal(true)
  })
})

describe('network prefixes for scoring', () => {
  it('groups IPv4 by /24 and IPv6 by /48, leaves out relayed and (unless asked) local addresses', () => {
    expect(networkOf(multiaddr('/ip4/93.184.216.34/tcp/4001'), false)).to.equal('93.184.216.0/24')
    expect(networkOf(multiaddr('/ip6/2a00:1450:4001:81b::200e/tcp/1'), false)).to.equal('2a00:1450:4001::/48')
    expect(
      networkOf(multiaddr('/ip6/2a00:01450:4001:ffff::9/tcp/1'.replace('01450', '1450')), false),
    ).to.equal('2a00:1450:4001::/48')
    expect(networkOf(multiaddr('/ip4/127.0.0.1/tcp/4001'), false)).to.equal(undefined)
    expect(networkOf(multiaddr('/ip4/127.0.0.1/tcp/4001'), true)).to.equal('127.0.0.0/24')
    expect(
      networkOf(
        multiaddr(
          '/ip4/93.184.216.1/tcp/1/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo/p2p-circuit',
        ),
        false,
      ),
    ).to.equal(undefined)
  })
})
