// `npm run build`: the package's Node and browser entries with their type declarations, the
// `<script>` bundle, the relay and the demo page (see OUTPUTS). `--if-needed` skips when dist is
// newer than every source.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { browserOptions } from './esbuild-browser.ts'

const SOURCES = ['src', 'platform', 'relay', 'demo', 'package.json']
const OUTPUTS = [
  'dist/node/index.js',
  'dist/browser/index.js',
  'dist/pp-node.min.js',
  'dist/pp-node-full.min.js',
  'dist/pp-node-worker.min.js',
  'dist/relay.js',
  'dist/demo.js',
  'dist/types/platform/node/package-entry.d.ts',
  'dist/types/platform/browser/package-entry.d.ts',
]
// The browser entry and the relay leave the package's dependencies to the user's bundler or to
// Node and carry the rest inline: @libp2p/webrtc is a build-time dependency only, because its
// react-native-webrtc dependency would make npm install react-native (~200 MB) for every user
// (js-libp2p#3609); node-datachannel, the native WebRTC library the relay's WebRTC-Direct
// listener needs, is a dependency of its own.
const DEPENDENCIES = Object.keys(JSON.parse(readFileSync('package.json', 'utf8')).dependencies)

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
  esbuild.build({
    ...nodeOptions,
    entryPoints: ['relay/main.ts'],
    outfile: 'dist/relay.js',
    // WebRTC-Direct rides inside the relay like the WebRTC transport inside the browser build.
    packages: undefined,
    external: DEPENDENCIES.flatMap((name) => [name, `${name}/*`]),
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  }),
  esbuild.build({
    ...browserOptions,
    entryPoints: ['platform/browser/package-entry.ts'],
    outfile: 'dist/browser/index.js',
    external: DEPENDENCIES.flatMap((name) => [name, `${name}/*`]),
  }),
  esbuild.build({
    ...browserOptions,
    entryPoints: ['demo/demo.ts'],
    outfile: 'dist/demo.js',
    minify: true,
    sourcemap: true,
  }),
  // <script> builds: the page's part (the node goes to a worker) and everything for a node on the page.
  ...[
    ['platform/browser/global-entry.ts', 'dist/pp-node.min.js'],
    ['platform/browser/full-global-entry.ts', 'dist/pp-node-full.min.js'],
  ].map(([entry, outfile]) =>
    esbuild.build({
      ...browserOptions,
      entryPoints: [entry],
      outfile,
      format: 'iife',
      globalName: 'PPNode',
      minify: true,
    }),
  ),
  // The node's dedicated worker, which the demo and the <script> build's joinRelay start.
  esbuild.build({
    ...browserOptions,
    entryPoints: ['platform/browser/worker-node/node-worker.ts'],
    outfile: 'dist/pp-node-worker.min.js',
    format: 'iife',
    minify: true,
    sourcemap: true,
  }),
])
emitDeclarations()
// The relay serves dist/: the demo page, the embed example and their styles sit beside the bundles.
mkdirSync('dist', { recursive: true })
for (const file of ['index.html', 'embed.html', 'demo.css']) copyFileSync(`demo/${file}`, `dist/${file}`)
console.log(
  `built ${OUTPUTS.length} outputs in ${Math.round(performance.now() - started)} ms: ${OUTPUTS.join(', ')}`,
)

/** Type declarations of both entries in dist/types, their imports pointing at `.js` as published files must. */
function emitDeclarations() {
  rmSync('dist/types', { recursive: true, force: true })
  execFileSync('tsc', ['-p', 'tsconfig.types.json'], { stdio: 'inherit' })
  const rewrite = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) rewrite(path)
      else {
        const text = readFileSync(path, 'utf8')
        writeFileSync(path, text.replace(/((?:from |import\()['"]\.{1,2}\/[^'"]*)\.ts(['"])/g, '$1.js$2'))
      }
    }
  }
  rewrite('dist/types')
}
