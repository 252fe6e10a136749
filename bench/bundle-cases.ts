// The sizes of the browser bundles (page, worker, script tag) and what each part of the full node costs.
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

/** A browser bundle as the build makes it (in memory): its bytes and the inputs each came from. */
async function bundle(entry: string, format: 'iife' | 'esm', globalName?: string) {
  const result = await esbuild.build({
    ...browserOptions,
    entryPoints: [entry],
    format,
    ...(globalName && { globalName }),
    minify: true,
    write: false,
    metafile: true,
  })
  return { result, bytes: result.outputFiles[0].contents }
}

/**
 * The browser bundles' gzip sizes: what a page loads first (the demo's script, the script-tag
 * build), the node's worker (the full node, loaded by the worker after), and
 * dist/pp-node-full.min.js (the full node on a page) with its largest parts.
 */
export async function bundleFigures(): Promise<Figure[]> {
  const gzipKb = (bytes: Uint8Array) => gzipSync(bytes, { level: 9 }).length / 1000
  const page = await bundle('demo/demo.ts', 'esm')
  const script = await bundle('platform/browser/global-entry.ts', 'iife', 'PPNode')
  const worker = await bundle('platform/browser/worker-node/node-worker.ts', 'iife')
  const { result, bytes } = await bundle('platform/browser/full-global-entry.ts', 'iife', 'PPNode')
  const goal = { value: 250, what: 'goal ≤ 250 KB' }
  const parts = new Map<string, number>()
  for (const [path, { bytesInOutput }] of Object.entries(Object.values(result.metafile.outputs)[0].inputs))
    parts.set(partOf(path), (parts.get(partOf(path)) ?? 0) + bytesInOutput)
  const sorted = [...parts].sort((a, b) => b[1] - a[1])
  const rest = sorted.slice(PARTS_SHOWN).reduce((n, [, size]) => n + size, 0)
  const name = 'browser bundle (full node on a page, dist/pp-node-full.min.js)'
  return [
    { name: 'demo page script, loaded first (dist/demo.js), gzip', value: gzipKb(page.bytes), unit: 'KB' },
    {
      name: 'script-tag page part, loaded first (dist/pp-node.min.js), gzip',
      value: gzipKb(script.bytes),
      unit: 'KB',
    },
    {
      name: 'node worker, loaded by the worker (dist/pp-node-worker.min.js), gzip',
      value: gzipKb(worker.bytes),
      unit: 'KB',
      anchor: goal,
    },
    { name: `${name}, gzip`, value: gzipKb(bytes), unit: 'KB', anchor: goal },
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
