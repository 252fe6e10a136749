import { expect } from 'chai'
import { prefersCandidate } from '../src/consensus/chain-selection.ts'

const vrf = (byte: number): Uint8Array => new Uint8Array(64).fill(byte)
const none = new Uint8Array(0)

describe('chain selection (pure)', () => {
  it('prefers a longer candidate', () => {
    expect(
      prefersCandidate({ index: 10, vrfOutput: vrf(1) }, { index: 11, vrfOutput: vrf(9) }, 3, 5),
    ).to.equal(true)
    expect(
      prefersCandidate({ index: 10, vrfOutput: vrf(9) }, { index: 9, vrfOutput: vrf(1) }, 2, 5),
    ).to.equal(false)
  })

  it('breaks ties by the lower tip VRF value in Praos and keeps the current chain otherwise', () => {
    expect(
      prefersCandidate({ index: 10, vrfOutput: vrf(5) }, { index: 10, vrfOutput: vrf(4) }, 1, 5),
    ).to.equal(true)
    expect(
      prefersCandidate({ index: 10, vrfOutput: vrf(4) }, { index: 10, vrfOutput: vrf(5) }, 1, 5),
    ).to.equal(false)
    expect(
      prefersCandidate({ index: 10, vrfOutput: vrf(4) }, { index: 10, vrfOutput: vrf(4) }, 1, 5),
    ).to.equal(false)
    expect(
      prefersCandidate({ index: 10, vrfOutput: none }, { index: 10, vrfOutput: none }, 1, 5),
      'BFT',
    ).to.equal(false)
  })

  it('never switches to a fork that forks more than k blocks back, however long', () => {
    expect(
      prefersCandidate({ index: 10, vrfOutput: vrf(1) }, { index: 100, vrfOutput: vrf(1) }, 6, 5),
    ).to.equal(false)
    expect(
      prefersCandidate({ index: 10, vrfOutput: vrf(1) }, { index: 100, vrfOutput: vrf(1) }, 5, 5),
    ).to.equal(true)
  })
})
