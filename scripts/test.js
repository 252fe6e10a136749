// `npm test`: typecheck, lint, import cycles, the Node tests (mocha), the Chromium tests (web-test-runner), then one summary line.
//   npm test                          everything
//   npm test -- --only node|browser|chromium|firefox   one environment or both browsers (still typechecks and lints unless --fast)
//   npm test -- test/store.spec.ts    chosen files, in every environment they belong to
// Skipped tests are counted per environment, with the reason of each strong-path skip (test/support/
// strong-path.ts); with CI=true a skipped test fails the run.
import { spawn } from 'node:child_process'
import { parseArgs, stripVTControlCharacters } from 'node:util'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { only: { type: 'string' }, fast: { type: 'boolean' } },
})
if (values.only !== undefined && !['node', 'browser', 'chromium', 'firefox'].includes(values.only)) {
  console.error(`--only must be "node", "browser", "chromium" or "firefox", got "${values.only}"`)
  process.exit(2)
}

const STRONG_PATH_SKIPPED = 'strong path skipped:'
const ci = process.env.CI === 'true'

const forNode = (f) => !f.endsWith('.browser.spec.ts')
const forBrowser = (f) => !f.endsWith('.node.spec.ts')
const stripAnsi = stripVTControlCharacters

/** The reasons printed by strong-path skips in `output`. */
const skipReasons = (output) =>
  output
    .split('\n')
    .filter((line) => line.includes(STRONG_PATH_SKIPPED))
    .map((line) => line.slice(line.indexOf(STRONG_PATH_SKIPPED) + STRONG_PATH_SKIPPED.length).trim())

/** Runs a command, echoing its output, and resolves with its exit code and output text. */
function run(label, command, args, env = {}) {
  console.log(`\n=== ${label}: ${command} ${args.join(' ')}`)
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let output = ''
    const collect = (stream, sink) =>
      stream.on('data', (chunk) => {
        output += chunk
        sink.write(chunk)
      })
    collect(child.stdout, process.stdout)
    collect(child.stderr, process.stderr)
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 1 : 0), output: stripAnsi(output) }),
    )
  })
}

const results = []
let failedStages = 0
const started = performance.now()

if (!values.fast) {
  for (const [label, cmd, args] of [
    ['typecheck', 'tsc', ['-p', 'tsconfig.json']],
    ['typecheck core (no @types/node)', 'tsc', ['-p', 'tsconfig.core.json']],
    ['lint', 'biome', ['check', '.']],
    [
      'import cycles',
      'dpdm',
      [
        '--no-tree',
        '--no-warning',
        '--exit-code',
        'circular:1',
        'src/**/*.ts',
        'platform/**/*.ts',
        'relay/*.ts',
      ],
    ],
  ]) {
    const { code } = await run(label, cmd, args)
    if (code !== 0) failedStages++
  }
}

// Tests start `node relay.js`, which runs the built relay: build first (skipped when up to date).
{
  const { code } = await run('build', 'node', ['scripts/build.js', '--if-needed'])
  if (code !== 0) failedStages++
}

if (values.only === undefined || values.only === 'node') {
  const files = positionals.length > 0 ? positionals.filter(forNode) : ['test/**/*.spec.ts']
  if (files.length > 0) {
    const { code, output } = await run('node tests', 'mocha', [
      ...files,
      '--ignore',
      'test/**/*.browser.spec.ts',
    ])
    const passed = Number(/(\d+) passing/.exec(output)?.[1] ?? 0)
    const failed = Number(/(\d+) failing/.exec(output)?.[1] ?? 0)
    const skipped = Number(/(\d+) pending/.exec(output)?.[1] ?? 0)
    results.push({
      env: 'node',
      passed,
      failed: failed || (code !== 0 ? Math.max(1, failed) : 0),
      skipped,
      reasons: skipReasons(output),
    })
  }
}

for (const browser of ['chromium', 'firefox']) {
  if (values.only !== undefined && values.only !== 'browser' && values.only !== browser) continue
  const files = positionals.filter(forBrowser)
  if (positionals.length > 0 && files.length === 0) continue
  const label = browser === 'firefox' ? 'Firefox' : 'Chromium'
  const { code, output } = await run(`browser tests (${label})`, 'wtr', [], {
    PP_BROWSER: browser,
    PP_BROWSER_FILES: files.join(','),
  })
  const summaries = [...output.matchAll(/(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/g)]
  const last = summaries.at(-1)
  const passed = Number(last?.[1] ?? 0)
  const failed = Number(last?.[2] ?? 0)
  const skipped = Number(last?.[3] ?? 0)
  results.push({ env: browser, passed, failed: failed || (code !== 0 ? 1 : 0), skipped, reasons: [] })
}

const seconds = ((performance.now() - started) / 1000).toFixed(1)
console.log('\n=== summary')
for (const r of results) {
  console.log(`${r.env}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`)
  for (const reason of r.reasons) console.log(`  skipped: ${reason}`)
}
if (failedStages > 0) console.log(`static checks: ${failedStages} failed (typecheck or lint)`)
const passed = results.reduce((n, r) => n + r.passed, 0)
const skipped = results.reduce((n, r) => n + r.skipped, 0)
// On CI (root, network namespaces) every test can take its strong path: a skip there is a failure.
const skipFails = ci && skipped > 0 ? 1 : 0
if (skipFails) console.log(`CI=true: ${skipped} skipped tests count as a failure`)
const failed = results.reduce((n, r) => n + r.failed, 0) + failedStages + skipFails
console.log(`time: ${seconds} s`)
console.log(`total: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
