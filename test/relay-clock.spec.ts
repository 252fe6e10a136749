import { expect } from 'chai'
import { boundClockOffset } from '../platform/browser/relay-clock.ts'

describe('the clock offset a tab takes from its relays', () => {
  it('is their median, of an even count the middle value nearer zero, clamped to the bound', () => {
    expect(boundClockOffset([200_001, 40, -30], 1500)).to.include({ offsetMs: 40, beyondBound: false })
    expect(boundClockOffset([200_001, 40], 1500)).to.include({ offsetMs: 40, relays: 2 })
    expect(boundClockOffset([-200_001, -40], 1500)).to.include({ offsetMs: -40 })
    expect(boundClockOffset([-200_001], 1500)).to.include({
      offsetMs: -1500,
      measuredMs: -200_001,
      beyondBound: true,
    })
    expect(boundClockOffset([], 1500)).to.include({ offsetMs: 0, relays: 0, beyondBound: false })
  })
})
