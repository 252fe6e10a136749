// `npm run build`: the four outputs of ARCHITECTURE.md. `--if-needed` skips when dist is newer than every source.
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { browserOptions } from './esbuild-browser.ts'

const SOURCES = ['src', 'platform', 'relay', 'demo', 'package.json']
const OUTPUTS = [
  'dist/node/index.js',
  'dist/browser/index.js',
  'dist/pp-node.min.js',
  'dist/relay.js',
  'dist/demo.js',
]

function newest(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))))
}

function upToDate() {
  try {
    const built = Math.min(...OUTPUTS.map((p) => statSync(p).mtimeMs))
    return Math.max(...SOURCES.map(newest)) < built
  } catch {
    return false
  }
}

if (process.argv.includes('--if-needed') && upToDate()) process.exit(0)

const started = performance.now()
const nodeOptions = { bundle: true, platform: 'node', format: 'esm', target: 'node22', packages: 'external' }
await Promise.all([
  esbuild.build({
    ...nodeOptions,
    entryPoints: ['platform/node/package-entry.ts'],
    outfile: 'dist/node/index.js',
  }),
  esbuild.build({ ...nodeOptions, entryPoints: ['relay/main.ts'], outfile: 'dist/relay.js' }),
  esbuild.build({
    ...browserOptions,
    entryPoints: ['platform/browser/package-entry.ts'],
    outfile: 'dist/browser/index.js',
    packages: 'external',
  }),
  esbuild.build({
    ...browserOptions,
    entryPoints: ['demo/demo.ts'],
    outfile: 'dist/demo.js',
    minify: true,
    sourcemap: true,
  }),
  esbuild.build({
    ...browserOptions,
    entryPoints: ['platform/browser/global-entry.ts'],
    outfile: 'dist/pp-node.min.js',
    format: 'iife',
    globalName: 'PPNode',
    minify: true,
    metafile: false,
  }),
])
// The relay serves dist/: the demo page, the embed example and their styles sit beside the bundles.
mkdirSync('dist', { recursive: true })
for (const file of ['index.html', 'embed.html', 'demo.css']) copyFileSync(`demo/${file}`, `dist/${file}`)
console.log(`built ${OUTPUTS.join(', ')} in ${Math.round(performance.now() - started)} ms`)
