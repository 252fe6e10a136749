import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { expect } from 'chai'

/** Runs the quick benchmark in a process group of its own, killed whole if it is not done in `ms`. */
function runBench(ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/run.ts', '--quick'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk
    })
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL') // the benchmark and the relay it started
      reject(new Error(`the benchmark did not finish in ${ms} ms:\n${stdout}`))
    }, ms)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(stdout)
      else reject(new Error(`the benchmark exited with ${code}:\n${stdout}`))
    })
  })
}

describe('npm run bench -- --quick (Node + Chromium)', () => {
  it('keeps working: prints the table and writes bench/results/latest.json', async function () {
    this.timeout(240_000)
    const stdout = await runBench(230_000)
    expect(stdout).to.match(/pp-node benchmarks \(quick\)/)
    expect(stdout).to.match(/block import, 100 transfers\/block \(node\)\s+[\d,.]+\s+tx\/s/)
    expect(stdout).to.match(/sync 500 blocks, Chromium/)
    expect(stdout).to.match(/node intake tx\/s ÷ raw verify\/s \(node\).*target ≥ 0\.8/)
    expect(stdout).to.match(/node intake tx\/s ÷ raw verify\/s \(browser\).*target ≥ 0\.6/)
    expect(stdout).to.match(
      /tab main thread while syncing 50 blocks × 100 transfers, node in a worker \(Chromium\): longest task .*goal ≤ 50 ms/,
    )
    expect(stdout).to.match(
      /tab main thread while syncing 50 blocks × 100 transfers, node on the page \(Chromium\): longest task/,
    )
    expect(stdout).to.match(/browser bundle \(full node on a page, .*\), gzip .*goal ≤ 250 KB/)
    expect(stdout).to.match(/node worker, loaded by the worker .*, gzip .*goal ≤ 250 KB/)
    expect(stdout).to.match(/part: @libp2p\/gossipsub/)
    expect(stdout).to.match(
      /headers checked alone \(signature \+ VRF leader \+ stake per epoch\), firefox\s+[\d,.]+\s+headers\/s/,
    )
    for (const link of ['Node \\(LevelDB\\)', 'Chromium \\(IndexedDB\\)', 'Firefox \\(IndexedDB\\)'])
      expect(stdout).to.match(
        new RegExp(
          `join an old chain from a checkpoint: open → following the tip, 3,000 blocks, 5,000 accounts, ${link}`,
        ),
      )
    const json = JSON.parse(await readFile('bench/results/latest.json', 'utf8'))
    expect(json.quick).to.equal(true)
    expect(json.figures.length).to.be.greaterThan(20)
    for (const f of json.figures) expect(f.value, f.name).to.be.a('number').and.satisfy(Number.isFinite)
  })
})
