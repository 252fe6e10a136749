// esbuild settings shared by the browser builds and the browser test runner.
import { existsSync } from 'node:fs'
import type { BuildOptions, Plugin } from 'esbuild'

/** Swaps `x.ts` for a sibling `x.browser.ts` when one exists, as package.json "browser" maps do. */
export const browserTwins: Plugin = {
  name: 'browser-twins',
  setup(build) {
    build.onResolve({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith('.')) return undefined
      const resolved = new URL(args.path, `file://${args.resolveDir}/`).pathname
      const twin = resolved.replace(/\.ts$/, '.browser.ts')
      return existsSync(twin) ? { path: twin } : undefined
    })
  },
}

/** Options every browser bundle shares. */
export const browserOptions: BuildOptions = {
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  mainFields: ['browser', 'module', 'main'],
  conditions: ['browser'],
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  plugins: [browserTwins],
  logLevel: 'warning',
}
