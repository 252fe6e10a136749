// Browser half of `npm test`: every *.spec.ts and *.browser.spec.ts in Debian's Chromium, or with
// PP_BROWSER=firefox in Debian's firefox-esr (puppeteer-core over WebDriver BiDi).
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromeLauncher } from '@web/test-runner-chrome'
import * as esbuild from 'esbuild'
import puppeteer from 'puppeteer-core'
import { CHROMIUM_ARGS, CHROMIUM_PATH, FIREFOX_PATH, FIREFOX_PREFS } from './scripts/browsers.ts'
import { browserOptions } from './scripts/esbuild-browser.ts'
import { relayPlugin } from './test/support/relay-plugin.js'

/** Serves each test file as one esbuild bundle (WTR's own resolver chokes on CommonJS dependencies). */
const bundleTests = {
  name: 'bundle-tests',
  async serve(context) {
    if (!context.path.endsWith('.ts')) return undefined
    const result = await esbuild.build({
      ...browserOptions,
      entryPoints: [`.${context.path}`],
      write: false,
      sourcemap: 'inline',
      external: ['/__web-dev-server__web-socket.js'],
    })
    return { body: result.outputFiles[0].text, type: 'js' }
  },
}

const userDataDir = mkdtempSync(join(tmpdir(), 'pp-chromium-'))
process.on('exit', () => rmSync(userDataDir, { recursive: true, force: true }))

/**
 * A free port for the test server: WTR's own choice (the lowest free one from 8000) raced between
 * runs started together ("EADDRINUSE :::8001", seen with two test runs in parallel).
 */
const port = await new Promise((resolve, reject) => {
  const probe = createServer()
  probe.on('error', reject)
  probe.listen(0, () => {
    const { port } = probe.address()
    probe.close(() => resolve(port))
  })
})

const chosen = (process.env.PP_BROWSER_FILES ?? '').split(',').filter(Boolean)
const files = chosen.length > 0 ? chosen : ['test/**/*.spec.ts', '!test/**/*.node.spec.ts']

export default {
  files,
  port,
  nodeResolve: false,
  concurrency: 1,
  testFramework: { config: { timeout: 60_000 } },
  // A file of several long cases (worker-node.browser.spec.ts in Firefox) still finishes.
  testsFinishTimeout: 480_000,
  browserStartTimeout: 60_000,
  plugins: [bundleTests, relayPlugin()],
  browsers: [
    process.env.PP_BROWSER === 'firefox'
      ? chromeLauncher({
          puppeteer,
          launchOptions: {
            browser: 'firefox',
            executablePath: FIREFOX_PATH,
            headless: true,
            extraPrefsFirefox: FIREFOX_PREFS,
          },
        })
      : chromeLauncher({
          launchOptions: {
            executablePath: CHROMIUM_PATH,
            headless: true,
            userDataDir,
            args: CHROMIUM_ARGS,
          },
        }),
  ],
}
