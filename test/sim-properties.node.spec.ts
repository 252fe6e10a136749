import { expect } from 'chai'
import { runSimulation, type SimulationReport } from '../sim/simulation.ts'

/**
 * The Ouroboros guarantees every run must keep: common prefix (honest chains agree once the last k
 * blocks are cut, and no block an honest node held k deep is ever lost), one chain after the faults,
 * and chain quality: the honest producers' share of the final chain is not far below their share
 * of the stake (binomial noise: 4 standard deviations, plus a tenth for the forks partitions cause).
 */
function expectGuarantees(report: SimulationReport): void {
  const summary = JSON.stringify({ ...report, chainQuality: undefined })
  expect(report.commonPrefix.disagreementAfterPruningK, summary).to.equal(0)
  expect(report.commonPrefix.settledSamples, summary).to.be.greaterThan(0)
  expect(report.commonPrefix.settledLost, summary).to.equal(0)
  expect(report.oneChain, summary).to.equal(true)
  expect(report.blocksLostAfterRestart, summary).to.equal(0)
  expect(report.chainGrowth.blocks, summary).to.be.greaterThan(0)
  const n = report.chainGrowth.blocks
  const p = report.honestQuality.stakeShare
  const slack = 4 * Math.sqrt((p * (1 - p)) / n) + 0.1
  expect(report.honestQuality.share, summary).to.be.at.least(p - slack)
  // No single producer takes far more than its stake entitles it to.
  for (const q of report.chainQuality)
    expect(q.share, summary).to.be.at.most(
      q.stakeShare + 4 * Math.sqrt((q.stakeShare * (1 - q.stakeShare)) / n) + 0.1,
    )
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

  it('a fifth of the nodes equivocate and forge blocks: honest nodes keep one chain and ban them', async () => {
    const report = await runSimulation({
      nodes: 10,
      slots: 120,
      mode: 'praos',
      latencyMs: 10,
      loss: 0,
      seed: 5,
      adversary: 0.2,
    })
    expectGuarantees(report)
    const adversary = report.adversary!
    expect(adversary.equivocations + adversary.swappedBodies + adversary.wrongLeaders).to.be.greaterThan(0)
    expect(adversary.rejectedByHonest).to.be.greaterThan(0)
    expect(adversary.honestNodesBanningAdversaries).to.be.greaterThan(0)
  })

  it('a 3-way partition that heals, nodes on two worker threads', async () => {
    const report = await runSimulation({
      nodes: 9,
      slots: 80,
      mode: 'praos',
      latencyMs: 5,
      loss: 0,
      seed: 11,
      partition: { from: 10, to: 40, groups: 3 },
      // The groups span both worker threads: partitions and their healing cross thread boundaries.
      workers: 2,
    })
    expectGuarantees(report)
  })

  it('a third of the nodes crash and restart from their own storage, nodes on two worker threads', async () => {
    const report = await runSimulation({
      nodes: 9,
      slots: 80,
      mode: 'praos',
      latencyMs: 5,
      loss: 0.02,
      seed: 13,
      crash: { from: 20, to: 45, fraction: 0.33 },
      workers: 2,
    })
    expectGuarantees(report)
  })
})
