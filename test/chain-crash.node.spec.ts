import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { nodePlatform } from '../platform/node/index.ts'
import { toHex } from '../src/encoding/hash.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { bftGenesis, testKeys } from './support/chain-fixtures.ts'

const CHILD = new URL('./support/append-blocks.ts', import.meta.url).pathname

/** Runs the appender until it has committed `commits` more blocks plus a random delay, then SIGKILLs it. */
function runAndKill(
  dataDir: string,
  commits: number,
  extraMs: number,
): Promise<{ index: number; hash: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
    let last = { index: -1, hash: '' }
    let seen = 0
    let buffer = ''
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) {
        const [word, index, hash] = line.split(' ')
        if (word !== 'committed') continue
        last = { index: Number(index), hash }
        if (++seen === commits) setTimeout(() => child.kill('SIGKILL'), extraMs)
      }
    })
    child.on('exit', (_code, signal) => {
      clearTimeout(guard)
      if (signal !== 'SIGKILL') reject(new Error(`appender exited without being killed (signal ${signal})`))
      else resolve(last)
    })
  })
}

describe('chain store survives SIGKILL (Node)', () => {
  it('20 kills at random moments: every reopen is consistent and no committed block is lost', async function () {
    this.timeout(300_000)
    const dataDir = await mkdtemp(join(tmpdir(), 'pp-crash-'))
    const platform = nodePlatform({ dataDir })
    const keys = await testKeys(3, platform.crypto)
    const genesis = bftGenesis(keys)
    try {
      for (let round = 0; round < 20; round++) {
        const committed = await runAndKill(
          dataDir,
          1 + Math.floor(Math.random() * 20),
          Math.floor(Math.random() * 40),
        )
        const chain = await ChainStore.open(await platform.openStore('chain'), genesis)
        try {
          expect(chain.tip.index, `round ${round}: tip below a reported commit`).to.be.at.least(
            committed.index,
          )
          expect(
            toHex((await chain.hashAt(committed.index))!),
            `round ${round}: committed block lost`,
          ).to.equal(committed.hash)
          const blocks = await chain.getBlocks(1, chain.tip.index)
          const replayed = blocks.reduce(
            (state, block) => applyBlock(state, block, genesis),
            genesisState(genesis),
          )
          expect(replayed, `round ${round}: state differs from a replay from genesis`).to.deep.equal(
            chain.state,
          )
        } finally {
          await chain.close()
        }
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
