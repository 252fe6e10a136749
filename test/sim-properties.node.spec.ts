import { expect } from 'chai'
import { runSimulation, type SimulationReport } from '../sim/simulation.ts'

/** The Ouroboros guarantees every run must keep. */
function expectGuarantees(report: SimulationReport): void {
  const summary = JSON.stringify({ ...report, chainQuality: undefined })
  expect(report.commonPrefix.deepestRollback, summary).to.be.at.most(report.commonPrefix.k)
  expect(report.commonPrefix.disagreementAfterPruningK, summary).to.equal(0)
  expect(report.oneChain, summary).to.equal(true)
  expect(report.blocksLostAfterRestart, summary).to.equal(0)
  expect(report.chainGrowth.blocks, summary).to.be.greaterThan(0)
}

describe('Ouroboros properties on simulated networks of real nodes', function () {
  this.timeout(300_000)

  it('10 nodes × 200 slots, Praos, with latency and message loss', async () => {
    const report = await runSimulation({
      nodes: 10,
      slots: 200,
      mode: 'praos',
      latencyMs: 15,
      loss: 0.05,
      seed: 7,
    })
    expectGuarantees(report)
    // Chain growth stays near f = 1/2 (forks from simultaneous leaders cost a little).
    expect(report.chainGrowth.blocksPerSlot).to.be.within(0.3, 0.65)
  })

  it('a 3-way partition that heals', async () => {
    const report = await runSimulation({
      nodes: 9,
      slots: 80,
      mode: 'praos',
      latencyMs: 5,
      loss: 0,
      seed: 11,
      partition: { from: 10, to: 40, groups: 3 },
    })
    expectGuarantees(report)
  })

  it('a third of the nodes crash and restart from their own storage', async () => {
    const report = await runSimulation({
      nodes: 9,
      slots: 80,
      mode: 'praos',
      latencyMs: 5,
      loss: 0.02,
      seed: 13,
      crash: { from: 20, to: 45, fraction: 0.33 },
    })
    expectGuarantees(report)
  })
})
