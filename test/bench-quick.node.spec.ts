import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { expect } from 'chai'

const run = promisify(execFile)

describe('npm run bench -- --quick (Node + Chromium)', () => {
  it('keeps working: prints the table and writes bench/results/latest.json', async function () {
    this.timeout(240_000)
    const { stdout } = await run(process.execPath, ['bench/run.ts', '--quick'], { maxBuffer: 1 << 22 })
    expect(stdout).to.match(/pp-node benchmarks \(quick\)/)
    expect(stdout).to.match(/block import, 100 transfers\/block \(node\)\s+[\d,.]+\s+tx\/s/)
    expect(stdout).to.match(/sync 500 blocks, Chromium/)
    const json = JSON.parse(await readFile('bench/results/latest.json', 'utf8'))
    expect(json.quick).to.equal(true)
    expect(json.figures.length).to.be.greaterThan(20)
    for (const f of json.figures) expect(f.value, f.name).to.be.a('number').and.satisfy(Number.isFinite)
  })
})
