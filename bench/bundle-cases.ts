// The size of the full browser node (the script-tag bundle) and what each part of it costs.
import { gzipSync } from 'node:zlib'
import * as esbuild from 'esbuild'
import { browserOptions } from '../scripts/esbuild-browser.ts'
import type { Figure } from './cases.ts'

/** Parts listed one by one; the rest are summed. */
const PARTS_SHOWN = 10

/** Which part an input file belongs to: its npm package, or pp-node's own code. */
function partOf(path: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  return pkg ? pkg[1] : 'pp-node (src/, platform/)'
}

/** Builds dist/pp-node.min.js as the build does (in memory) and reports its gzip size and its largest parts. */
export async function bundleFigures(): Promise<Figure[]> {
  const result = await esbuild.build({
    ...browserOptions,
    entryPoints: ['platform/browser/global-entry.ts'],
    format: 'iife',
    globalName: 'PPNode',
    minify: true,
    write: false,
    metafile: true,
  })
  const bytes = result.outputFiles[0].contents
  const gzip = gzipSync(bytes, { level: 9 }).length
  const parts = new Map<string, number>()
  for (const [path, { bytesInOutput }] of Object.entries(Object.values(result.metafile.outputs)[0].inputs))
    parts.set(partOf(path), (parts.get(partOf(path)) ?? 0) + bytesInOutput)
  const sorted = [...parts].sort((a, b) => b[1] - a[1])
  const rest = sorted.slice(PARTS_SHOWN).reduce((n, [, size]) => n + size, 0)
  const name = 'browser bundle (full node, script tag)'
  return [
    { name: `${name}, gzip`, value: gzip / 1000, unit: 'KB', anchor: { value: 250, what: 'goal ≤ 250 KB' } },
    { name: `${name}, minified`, value: bytes.length / 1000, unit: 'KB' },
    ...sorted
      .slice(0, PARTS_SHOWN)
      .map(([part, size]) => ({ name: `  part: ${part} (minified)`, value: size / 1000, unit: 'KB' })),
    {
      name: `  part: ${sorted.length - PARTS_SHOWN} other packages (minified)`,
      value: rest / 1000,
      unit: 'KB',
    },
  ]
}
