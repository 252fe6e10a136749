import { execFileSync, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'

const DEVNET = new URL('../scripts/devnet.ts', import.meta.url).pathname

describe('npm run devnet (Node)', () => {
  it('runs a relay and 3 producers for 60 s; all 4 report the same tip; nothing is left running', async function () {
    this.timeout(180_000)
    const dir = await mkdtemp(join(tmpdir(), 'pp-devnet-'))
    try {
      const child = spawn(process.execPath, [DEVNET, '--duration', '60', '--http-port', '0', '--dir', dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      child.stdout.on('data', (c: Buffer) => {
        output += c
      })
      child.stderr.on('data', (c: Buffer) => {
        output += c
      })
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
      expect(code, output).to.equal(0)
      expect(output).to.match(/all 4 nodes agree on tip (\d+) [0-9a-f]{64}/)
      const height = Number(/agree on tip (\d+)/.exec(output)![1])
      expect(height, 'the chain grew').to.be.greaterThan(10)
      let left = ''
      try {
        left = execFileSync('pgrep', ['-f', dir]).toString()
      } catch {
        // pgrep exits 1 when nothing matches: what we want
      }
      expect(left).to.equal('')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
