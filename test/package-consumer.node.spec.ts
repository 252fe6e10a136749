import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect } from 'chai'
import * as esbuild from 'esbuild'

const ROOT = new URL('..', import.meta.url).pathname
const BIN = join(ROOT, 'node_modules/.bin')
const run = promisify(execFile)

/** The README's code blocks that start with `// example: <name>`. */
function readmeExamples(): Map<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const examples = new Map<string, string>()
  for (const [, code] of readme.matchAll(/```ts\n(\/\/ example: [\s\S]*?)```/g)) {
    examples.set(/^\/\/ example: (\w+)/.exec(code)![1], code)
  }
  return examples
}

/** Runs a command in `cwd`; on failure the error carries its output. */
async function sh(cwd: string, command: string, args: string[], timeout = 300_000): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024 })
    return stdout
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`)
  }
}

describe('the packed package, installed into an empty project as a user would', function () {
  this.timeout(600_000)
  let dir: string
  const examples = readmeExamples()

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pp-consumer-'))
    const [packed] = JSON.parse(
      await sh(ROOT, 'npm', ['pack', '--json', '--pack-destination', dir]),
    ) as Array<{
      filename: string
      size: number
    }>
    const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: { 'pp-node': `file:./${packed.filename}` },
        devDependencies: { '@types/node': ours.devDependencies['@types/node'] },
      }),
    )
    // npm's defaults (peer dependencies installed), from the local cache where it can.
    await sh(dir, 'npm', [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--legacy-peer-deps=false',
    ])
    const kib = Number((await sh(dir, 'du', ['-sk', 'node_modules'])).split('\t')[0])
    console.log(
      `      packed ${(packed.size / 1024).toFixed(0)} KiB; installed node_modules ${(kib / 1024).toFixed(1)} MiB`,
    )
  })

  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('the README has a Node and a browser example', () => {
    expect([...examples.keys()]).to.include.members(['node', 'browser'])
  })

  it('a plain install stays lean: no react-native pulled in through WebRTC', async () => {
    const missing = await stat(join(dir, 'node_modules/react-native')).then(
      () => false,
      () => true,
    )
    expect(missing, 'node_modules/react-native was installed').to.equal(true)
  })

  it('the Node example type-checks against the shipped declarations and runs', async () => {
    await writeFile(join(dir, 'node.ts'), examples.get('node')!)
    await writeFile(
      join(dir, 'tsconfig.node.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['node.ts'],
      }),
    )
    await sh(dir, join(BIN, 'tsc'), ['-p', 'tsconfig.node.json'])
    const output = await sh(dir, join(BIN, 'node'), ['node.ts'], 120_000)
    expect(output).to.match(/tip \{\s+index: [1-9]\d*,\s+slot: \d+,\s+hash: '[0-9a-f]{64}'\s+\}/)
  })

  it('the browser example type-checks with the browser condition and bundles with esbuild', async () => {
    await writeFile(join(dir, 'browser.ts'), examples.get('browser')!)
    await writeFile(
      join(dir, 'tsconfig.browser.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'esnext',
          moduleResolution: 'bundler',
          customConditions: ['browser'],
          lib: ['es2023', 'dom', 'dom.iterable'],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['browser.ts'],
      }),
    )
    await sh(dir, join(BIN, 'tsc'), ['-p', 'tsconfig.browser.json'])
    const result = await esbuild.build({
      absWorkingDir: dir,
      entryPoints: ['browser.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs).to.include('node_modules/pp-node/dist/browser/index.js')
    expect(inputs.filter((i) => i.includes('node_modules/pp-node/dist/node/'))).to.deep.equal([])
    const code = result.outputFiles[0].text
    expect(code).to.include('RTCPeerConnection')
    console.log(`      browser example bundle ${(code.length / 1024).toFixed(0)} KiB (not minified)`)
  })

  it('a node without P2P loads no networking code: the core bundles without libp2p', async () => {
    const bundle = (entry: string) =>
      esbuild.build({
        absWorkingDir: ROOT,
        entryPoints: [entry],
        bundle: true,
        platform: 'browser',
        format: 'esm',
        minify: true,
        write: false,
        metafile: true,
        logLevel: 'silent',
      })
    const [core, full] = await Promise.all([
      bundle('src/index.ts'),
      bundle('platform/browser/package-entry.ts'),
    ])
    const packagesOf = (inputs: string[]) =>
      new Set(
        inputs.map((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(i)?.[1]).filter((p) => p !== undefined),
      )
    const corePackages = packagesOf(Object.keys(core.metafile.inputs))
    // Only libp2p's logger (a debug wrapper) and SHA-256 in WebAssembly (the state tree's hash, also
    // noise's) are shared with the network; no transport, gossip or libp2p itself.
    expect([...corePackages].filter((p) => /libp2p|multiaddr|chainsafe/.test(p)).sort()).to.deep.equal([
      '@chainsafe/as-sha256',
      '@libp2p/logger',
    ])
    expect(packagesOf(Object.keys(full.metafile.inputs))).to.include.keys('libp2p', '@libp2p/gossipsub')
    const kib = (r: typeof core) => (r.outputFiles[0].contents.length / 1024).toFixed(0)
    console.log(`      minified: P2P-less core ${kib(core)} KiB, full browser node ${kib(full)} KiB`)
  })
})
