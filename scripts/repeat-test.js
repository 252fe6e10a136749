// `npm run repeat -- --browser firefox --runs 20 test/x.browser.spec.ts`: runs one browser test file
// N times in a row in one browser (each run a fresh `wtr`: its own relay and browser), then prints
// how many runs passed and, for each failed run, its failing lines. A flake hidden by a retry shows here.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, stripVTControlCharacters } from 'node:util'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { browser: { type: 'string', default: 'chromium' }, runs: { type: 'string', default: '20' } },
})
const runs = Number(values.runs)
if (!['chromium', 'firefox'].includes(values.browser) || !(runs > 0) || positionals.length !== 1) {
  console.error('usage: npm run repeat -- --browser chromium|firefox --runs N test/x.browser.spec.ts')
  process.exit(2)
}
const [file] = positionals

/** Runs a command quietly; resolves with its exit code and output text. */
function run(command, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 1 : 0), output: stripVTControlCharacters(output) }),
    )
  })
}

const build = await run('node', ['scripts/build.js', '--if-needed'])
if (build.code !== 0) {
  console.error(build.output)
  process.exit(1)
}
const logs = mkdtempSync(join(tmpdir(), 'pp-repeat-'))
let passed = 0
const failures = []
for (let i = 1; i <= runs; i++) {
  const started = performance.now()
  const { code, output } = await run('wtr', [], { PP_BROWSER: values.browser, PP_BROWSER_FILES: file })
  const seconds = ((performance.now() - started) / 1000).toFixed(0)
  const summary = [...output.matchAll(/(\d+) passed, (\d+) failed/g)].at(-1)
  const ok = code === 0 && summary !== undefined && summary[2] === '0'
  if (ok) passed++
  else failures.push({ run: i, output })
  const log = join(logs, `run-${i}.log`)
  if (!ok) writeFileSync(log, output)
  console.log(`run ${i}/${runs}: ${ok ? 'passed' : `FAILED (output in ${log})`} (${seconds} s)`)
}
for (const { run: i, output } of failures) {
  console.log(`\n=== run ${i} failed:`)
  const lines = output.split('\n').filter((l) => /❌|Error|expected|timed out|failed|at waitFor/i.test(l))
  console.log(lines.slice(0, 30).join('\n'))
}
console.log(`\n${file} in ${values.browser}: ${passed}/${runs} runs passed`)
process.exit(passed === runs ? 0 : 1)
