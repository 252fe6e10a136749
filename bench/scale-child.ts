// One size of the scale benchmark in a process of its own, so its memory figure is its own:
// `node bench/scale-child.ts <accounts> <blocks>` prints the figures as JSON.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodePlatform } from '../platform/node/index.ts'
import { scaleFigures } from './scale-cases.ts'
import { stateTreeFigures } from './state-tree-cases.ts'

const [accounts, blocks] = process.argv.slice(2).map(Number)
const dataDir = await mkdtemp(join(tmpdir(), 'pp-bench-scale-'))
try {
  const figures = await scaleFigures(
    nodePlatform({ dataDir }),
    accounts,
    blocks,
    () => process.memoryUsage().rss,
  )
  figures.push(...stateTreeFigures(accounts, blocks))
  process.stdout.write(JSON.stringify(figures))
} finally {
  await rm(dataDir, { recursive: true, force: true })
}
