// `npm run sim -- --nodes N --slots S [--latency ms] [--loss p] [--partition from-to:groups]
//   [--crash from-to:fraction] [--adversary fraction] [--mode praos|bft] [--seed n] [--workers n]
//   [--out file]`
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import { SingleBar } from 'cli-progress'
import { runSimulation, type SimulationOptions } from './simulation.ts'

function fail(message: string): never {
  console.error(`sim: ${message}`)
  process.exit(2)
}

function range(
  name: string,
  text: string | undefined,
): { from: number; to: number; value: number } | undefined {
  if (text === undefined) return undefined
  const m = /^(\d+)-(\d+):([\d.]+)$/.exec(text)
  if (!m || Number(m[1]) >= Number(m[2]))
    fail(`--${name} must look like FROM-TO:VALUE with FROM < TO, e.g. 50-100:3`)
  return { from: Number(m[1]), to: Number(m[2]), value: Number(m[3]) }
}

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10' },
    slots: { type: 'string', default: '100' },
    latency: { type: 'string', default: '0' },
    loss: { type: 'string', default: '0' },
    partition: { type: 'string' },
    crash: { type: 'string' },
    mode: { type: 'string', default: 'praos' },
    seed: { type: 'string', default: '1' },
    adversary: { type: 'string', default: '0' },
    out: { type: 'string', default: 'bench/results/sim-latest.json' },
    workers: { type: 'string' },
  },
})
const nodes = Number(values.nodes)
const slots = Number(values.slots)
if (!Number.isInteger(nodes) || nodes < 2 || nodes > 200) fail('--nodes must be 2-200')
if (!Number.isInteger(slots) || slots < 1) fail('--slots must be a whole number ≥ 1')
if (values.mode !== 'praos' && values.mode !== 'bft') fail('--mode must be praos or bft')
const loss = Number(values.loss)
if (!(loss >= 0 && loss < 1)) fail('--loss must be in [0, 1)')
const partition = range('partition', values.partition)
const crash = range('crash', values.crash)
if (partition && (partition.value < 2 || !Number.isInteger(partition.value)))
  fail('--partition groups must be a whole number ≥ 2')
if (crash && !(crash.value > 0 && crash.value < 1)) fail('--crash fraction must be in (0, 1)')
const workers = values.workers === undefined ? undefined : Number(values.workers)
if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 64))
  fail('--workers must be a whole number from 1 to 64')
const adversary = Number(values.adversary)
if (!(adversary >= 0 && adversary < 0.5)) fail('--adversary must be a fraction of the nodes in [0, 0.5)')

const bar = new SingleBar({
  format: 'simulating [{bar}] slot {value}/{total} | {duration}s',
  clearOnComplete: true,
})
bar.start(slots, 0)
const options: SimulationOptions = {
  nodes,
  slots,
  mode: values.mode,
  latencyMs: Number(values.latency),
  loss,
  seed: Number(values.seed),
  adversary,
  ...(workers !== undefined && { workers }),
  ...(partition && { partition: { from: partition.from, to: partition.to, groups: partition.value } }),
  ...(crash && { crash: { from: crash.from, to: crash.to, fraction: crash.value } }),
  onSlot: (slot) => bar.update(slot + 1),
}
const report = await runSimulation(options)
bar.stop()
const cp = report.commonPrefix
console.log(
  `pp-node simulation: ${nodes} nodes, ${slots} slots, ${values.mode}, latency ≤ ${options.latencyMs} ms, loss ${loss}` +
    `, ${report.options.workers} worker thread${report.options.workers === 1 ? '' : 's'}${partition ? `, partition ${values.partition}` : ''}${crash ? `, crash ${values.crash}` : ''}${adversary ? `, adversary ${adversary}` : ''}, seed ${options.seed}`,
)
console.log(
  `common prefix   deepest rollback ${cp.deepestRollback} (k = ${cp.k}); disagreement after pruning k: ${cp.disagreementAfterPruningK}; settled blocks lost: ${cp.settledLost} of ${cp.settledSamples} → ${cp.holds ? 'holds' : 'VIOLATED'}`,
)
console.log(
  `chain growth    ${report.chainGrowth.blocks} blocks in ${slots} slots = ${report.chainGrowth.blocksPerSlot.toFixed(3)} per slot (expected ≈ ${report.chainGrowth.expected})`,
)
console.log(
  `chain quality   honest producers made ${report.honestQuality.share.toFixed(3)} of the chain with ${report.honestQuality.stakeShare.toFixed(3)} of the stake`,
)
console.log('                producer          blocks  share  stake')
for (const q of report.chainQuality)
  console.log(
    `                ${q.producer}  ${String(q.blocks).padStart(6)}  ${q.share.toFixed(3)}  ${q.stakeShare.toFixed(3)}${q.honest ? '' : '  adversary'}`,
  )
const adv = report.adversary
if (adv)
  console.log(
    `adversary       ${adv.nodes} nodes sent ${adv.equivocations} equivocations, ${adv.swappedBodies} swapped bodies, ${adv.wrongLeaders} wrong-leader blocks; honest nodes rejected ${adv.rejectedByHonest}, saw ${adv.equivocationsSeenByHonest} equivocations; ${adv.honestNodesBanningAdversaries} honest nodes ban an adversary`,
  )
console.log(
  `propagation     p50 ${report.propagationMs.p50.toFixed(1)} ms, p95 ${report.propagationMs.p95.toFixed(1)} ms, max ${report.propagationMs.max.toFixed(1)} ms over ${report.propagationMs.blocks} blocks`,
)
console.log(
  `network cost    ${report.msPerSlot.toFixed(0)} ms of wall time per slot (${(report.msPerSlot / nodes).toFixed(1)} ms per node); peers per node min ${report.peersPerNode.min}, avg ${report.peersPerNode.avg.toFixed(1)}, max ${report.peersPerNode.max}`,
)
console.log(
  `one final chain ${report.oneChain} (after ${report.coolDownSlots} fault-free slots); blocks lost after restarts: ${report.blocksLostAfterRestart}; ${report.seconds.toFixed(1)} s`,
)
await mkdir(dirname(values.out), { recursive: true })
await writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`)
console.log(`wrote ${values.out}`)
process.exit(cp.holds && report.oneChain ? 0 : 1)
