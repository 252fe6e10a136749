import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect } from 'chai'
import { nodeCrypto } from '../platform/node/crypto.ts'
import { fromHex, toHex } from '../src/encoding/hash.ts'
import { provenAccountFromJson } from '../src/ledger/account-proof-json.ts'
import { addressOf } from '../src/ledger/address.ts'
import { txToJson } from '../src/ledger/json.ts'
import { verifyAccountProof } from '../src/ledger/state-root.ts'
import { signTransaction } from '../src/ledger/transaction.ts'
import { type RelayProcess, startRelayProcess } from './support/relay-process.ts'

const run = promisify(execFile)
const RELAY = new URL('../relay.js', import.meta.url).pathname

describe('node relay.js: HTTP API, wallet CLI, restart, shutdown', function () {
  this.timeout(120_000)
  let dataDir: string
  let relay: RelayProcess | undefined

  const args = () => [
    '--data-dir',
    dataDir,
    '--tcp-port',
    '0',
    '--ws-port',
    '0',
    '--webrtc-port',
    '0',
    '--http-port',
    '0',
    '--slot-ms',
    '200',
    // Longer than the stability window 3k/f of the relay's devnet (k = 5, f = 1/2: 30 slots).
    '--epoch-length',
    '40',
  ]
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, checked by the assertions
  type Json = Record<string, any>
  const get = async (path: string) => {
    const res = await fetch(`${relay!.httpUrl}${path}`)
    return { status: res.status, body: (await res.json()) as Json }
  }
  const post = async (path: string, body: string) => {
    const res = await fetch(`${relay!.httpUrl}${path}`, { method: 'POST', body })
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json }
  }
  const tipIndex = async () => (await get('/status')).body.tip.index as number

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pp-relay-'))
    relay = await startRelayProcess(args())
  })
  after(async () => {
    if (relay && relay.child.exitCode === null) await relay.stop('SIGKILL')
    await rm(dataDir, { recursive: true, force: true })
  })

  it('answers status, blocks, accounts, peers, bootstrap and metrics, with JSON errors for bad input', async () => {
    const status = await get('/status')
    expect(status.status).to.equal(200)
    expect(status.body).to.include.keys('chainId', 'slot', 'epoch', 'tip', 'peers', 'syncing', 'mempool')
    for (let i = 0; i < 100 && (await tipIndex()) < 2; i++) await new Promise((r) => setTimeout(r, 100))
    const blocks = await get('/blocks?from=1&count=2')
    expect(blocks.body).to.have.length(2)
    expect((await get(`/blocks/${blocks.body[0].hash}`)).body.index).to.equal(1)
    expect(await get('/blocks/xyz')).to.deep.include({ status: 400 })
    expect((await get(`/blocks/${'0'.repeat(64)}`)).status).to.equal(404)
    expect((await get('/blocks?from=-1')).body.error.code).to.equal('BAD_QUERY')
    expect((await get('/accounts/nope')).body.error.code).to.equal('INVALID_ADDRESS')
    expect((await get('/peers')).body).to.deep.equal([])
    expect((await get('/bootstrap')).body.multiaddrs).to.deep.equal(relay!.multiaddrs)
    const metrics = await (await fetch(`${relay!.httpUrl}/metrics`)).text()
    expect(metrics).to.match(/^pp_tip_height \d+$/m)
    expect(metrics).to.match(/^pp_peers\{transport="ws"\} 0$/m)
    expect((await get('/nothing')).status).to.equal(404)
    expect((await post('/status', '{}')).body.error.code).to.equal('METHOD_NOT_ALLOWED')
    expect((await post('/tx', '{not json')).body.error.code).to.equal('BAD_JSON')
    expect((await post('/tx', JSON.stringify({ body: {} }))).body.error.code).to.equal('DECODE_FAILED')
    expect((await post('/tx', 'x'.repeat(100_000))).status).to.equal(413)
  })

  it('caps GET /blocks at 100 blocks when the chain is longer than that', async () => {
    // A relay of its own with 50 ms slots, so that its chain passes 100 blocks within seconds.
    const fastDir = await mkdtemp(join(tmpdir(), 'pp-relay-fast-'))
    const fast = await startRelayProcess([
      ...args().slice(2, -4),
      '--epoch-length',
      '40',
      '--data-dir',
      fastDir,
      '--slot-ms',
      '50',
    ])
    try {
      const tip = async () =>
        ((await (await fetch(`${fast.httpUrl}/status`)).json()) as Json).tip.index as number
      const deadline = Date.now() + 60_000
      while ((await tip()) <= 110) {
        if (Date.now() > deadline) throw new Error(`the fast relay's chain did not pass 110 blocks in 60 s`)
        await new Promise((r) => setTimeout(r, 100))
      }
      for (const count of [100000, 101]) {
        const page = (await (await fetch(`${fast.httpUrl}/blocks?from=1&count=${count}`)).json()) as Json[]
        expect(page.map((b) => b.index)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i + 1))
      }
      const page = (await (await fetch(`${fast.httpUrl}/blocks?from=11&count=100`)).json()) as Json[]
      expect(page.map((b) => b.index)).to.deep.equal(Array.from({ length: 100 }, (_, i) => i + 11))
    } finally {
      await fast.stop('SIGKILL')
      await rm(fastDir, { recursive: true, force: true })
    }
  })

  it('GET /checkpoint names a snapshot point; a new relay given it with --checkpoint starts there, checked, and follows the tip', async () => {
    // A relay with 50 ms slots, whose chain passes its first snapshot point (block 100) within seconds.
    const dirs = [
      await mkdtemp(join(tmpdir(), 'pp-relay-source-')),
      await mkdtemp(join(tmpdir(), 'pp-relay-cp-')),
    ]
    const source = await startRelayProcess([
      ...args().slice(2, -4),
      '--epoch-length',
      '40',
      '--data-dir',
      dirs[0],
      '--slot-ms',
      '50',
    ])
    let joined: RelayProcess | undefined
    try {
      const json = async (base: string, path: string) => {
        const res = await fetch(`${base}${path}`)
        return { status: res.status, body: (await res.json()) as Json }
      }
      const deadline = Date.now() + 60_000
      expect((await json(source.httpUrl, '/checkpoint')).body).to.deep.equal({ checkpoint: null })
      while ((await json(source.httpUrl, '/checkpoint')).body.checkpoint === null) {
        if (Date.now() > deadline) throw new Error('the source relay named no checkpoint in 60 s')
        await new Promise((r) => setTimeout(r, 200))
      }
      const point = (await json(source.httpUrl, '/checkpoint')).body
      expect(point.index).to.equal(100)
      expect(point.checkpoint).to.equal(`100:${point.hash}`)
      const tcp = source.multiaddrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))!
      joined = await startRelayProcess([
        ...args().slice(2, -4),
        '--allow-private',
        '--data-dir',
        dirs[1],
        '--genesis',
        join(dirs[0], 'genesis.json'),
        '--checkpoint',
        point.checkpoint,
        '--bootstrap',
        tcp,
      ])
      const target = (await json(source.httpUrl, '/status')).body.tip.index as number
      const until = Date.now() + 60_000
      while (((await json(joined.httpUrl, '/status')).body.tip.index as number) < target) {
        if (Date.now() > until)
          throw new Error(`the relay joined at the checkpoint did not reach block ${target}`)
        await new Promise((r) => setTimeout(r, 200))
      }
      // It keeps no block below the checkpoint, and the checkpoint's block is the source's.
      expect((await json(joined.httpUrl, '/blocks?from=1&count=5')).status).to.equal(410)
      const [first] = (await json(joined.httpUrl, '/blocks?from=100&count=1')).body as unknown as Json[]
      expect([first.index, first.hash]).to.deep.equal([100, point.hash])
      expect(joined.output()).to.include('snapshot 1024/1024 chunks checked')
    } finally {
      await joined?.stop('SIGKILL')
      await source.stop('SIGKILL')
      for (const dir of dirs) await rm(dir, { recursive: true, force: true })
    }
  })

  it('takes a signed transaction with POST /tx, includes it in a block and shows it in GET /accounts', async () => {
    const key = JSON.parse(await readFile(join(dataDir, 'producer-key.json'), 'utf8'))
    const secret = fromHex(key.secret)!
    const from = addressOf(await nodeCrypto.publicKey(secret))
    const to = addressOf(await nodeCrypto.publicKey(new Uint8Array(32).fill(5)))
    const account = (await get(`/accounts/${from}`)).body
    const chainId = (await get('/status')).body.chainId
    const tx = await signTransaction(
      { type: 'transfer', chainId, from, to, amount: 1234n, fee: 1n, nonce: account.nextNonce },
      secret,
      nodeCrypto,
    )
    const forged = { ...txToJson(tx), signature: '00'.repeat(64) }
    expect((await post('/tx', JSON.stringify(forged))).body.error.code).to.equal('BAD_SIGNATURE')
    // An amount of 2^64 cannot be on this chain: a client error, not a server failure.
    const huge = { ...txToJson(tx), body: { ...txToJson(tx).body, amount: (2n ** 64n).toString() } }
    const refused = await post('/tx', JSON.stringify(huge))
    expect([refused.status, refused.body.error.code]).to.deep.equal([400, 'DECODE_FAILED'])
    const accepted = await post('/tx', JSON.stringify(txToJson(tx)))
    expect(accepted.status).to.equal(202)
    expect(accepted.body.hash).to.match(/^[0-9a-f]{64}$/)
    for (let i = 0; i < 100 && (await get(`/accounts/${to}`)).body.balance !== '1234'; i++)
      await new Promise((r) => setTimeout(r, 100))
    expect((await get(`/accounts/${to}`)).body).to.deep.include({ balance: '1234', nonce: 0 })
  })

  it('serves proven reads: GET /accounts/<address>?proof=1 verifies against the state root its block header carries', async () => {
    const key = JSON.parse(await readFile(join(dataDir, 'producer-key.json'), 'utf8'))
    const producer = addressOf(await nodeCrypto.publicKey(fromHex(key.secret)!))
    const stranger = addressOf(await nodeCrypto.publicKey(new Uint8Array(32).fill(9)))
    for (const address of [producer, stranger]) {
      const read = provenAccountFromJson((await get(`/accounts/${address}?proof=1`)).body)
      expect(read.address).to.equal(address)
      expect(verifyAccountProof(read.stateRoot, address, read.account, read.proof)).to.equal(true)
      // The root is the one the block's own header carries (the block a wallet checks by hash).
      const block = (await get(`/blocks/${toHex(read.block.hash)}`)).body
      expect([block.index, block.stateRoot]).to.deep.equal([read.block.index, toHex(read.stateRoot)])
      if (address === stranger) expect(read.account).to.equal(undefined)
      else {
        expect(read.account!.balance > 0n).to.equal(true)
        const more = { ...read.account!, balance: read.account!.balance + 1n }
        expect(verifyAccountProof(read.stateRoot, address, more, read.proof)).to.equal(false)
        expect(verifyAccountProof(read.stateRoot, address, undefined, read.proof)).to.equal(false)
      }
    }
    const bad = await get(`/accounts/${producer}?proof=1`.replace(producer, 'pp00'))
    expect([bad.status, bad.body.error.code]).to.deep.equal([400, 'INVALID_ADDRESS'])
  })

  it('funds new accounts from the devnet faucet, rate-limited', async () => {
    const to = addressOf(await nodeCrypto.publicKey(new Uint8Array(32).fill(6)))
    const first = await post('/faucet', JSON.stringify({ address: to }))
    expect(first.status).to.equal(202)
    const again = await post('/faucet', JSON.stringify({ address: to }))
    expect(again.status).to.equal(429)
    expect(again.body.error.code).to.equal('FAUCET_RATE_LIMITED')
    expect(again.headers.get('retry-after')).to.equal('10')
    expect((await post('/faucet', JSON.stringify({ address: 'bad' }))).body.error.code).to.equal(
      'INVALID_ADDRESS',
    )
    // The faucet pays from its own account (not a pool, a tenth of the supply), a fixed grant.
    const genesis = (await get('/genesis')).body
    const faucetKey = JSON.parse(await readFile(join(dataDir, 'faucet-key.json'), 'utf8'))
    const faucet = addressOf(await nodeCrypto.publicKey(fromHex(faucetKey.secret)!))
    const supply = Object.values(genesis.balances as Record<string, string>).reduce(
      (a, b) => a + BigInt(b),
      0n,
    )
    expect(BigInt(genesis.balances[faucet]) * 10n <= supply).to.equal(true)
    expect(genesis.pools.map((p: { publicKey: string }) => addressOf(fromHex(p.publicKey)!))).to.not.include(
      faucet,
    )
    expect(BigInt(first.body.amount)).to.equal(supply / 200n)
    // Other sites cannot make their visitors' browsers collect coins: no CORS on it, 403 for their Origin.
    const foreign = await fetch(`${relay!.httpUrl}/faucet`, {
      method: 'POST',
      headers: { origin: 'https://elsewhere.example' },
      body: JSON.stringify({ address: addressOf(await nodeCrypto.publicKey(new Uint8Array(32).fill(8))) }),
    })
    expect([foreign.status, (await foreign.json()).error.code]).to.deep.equal([403, 'CROSS_ORIGIN'])
    expect(foreign.headers.get('access-control-allow-origin')).to.equal(null)
    expect((await fetch(`${relay!.httpUrl}/status`)).headers.get('access-control-allow-origin')).to.equal('*')
  })

  it('wallet CLI: keygen, send and balance against the HTTP API', async () => {
    const keyFile = join(dataDir, 'wallet.json')
    await run(process.execPath, [RELAY, 'keygen', '--out', keyFile])
    const wallet = JSON.parse(await readFile(keyFile, 'utf8'))
    const producer = join(dataDir, 'producer-key.json')
    const sent = await run(process.execPath, [
      RELAY,
      'send',
      '--key',
      producer,
      '--to',
      wallet.address,
      '--amount',
      '77',
      '--api',
      relay!.httpUrl,
    ])
    expect(sent.stdout).to.match(/^submitted [0-9a-f]{64}/)
    let balance = ''
    for (let i = 0; i < 100 && !balance.includes('balance 77,'); i++) {
      balance = (await run(process.execPath, [RELAY, 'balance', wallet.address, '--api', relay!.httpUrl]))
        .stdout
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(balance).to.include(`${wallet.address}: balance 77, nonce 0`)
    const bad = await run(process.execPath, [
      RELAY,
      'send',
      '--key',
      keyFile,
      '--to',
      'nope',
      '--amount',
      '1',
    ]).catch((e) => e)
    expect(bad.code).to.equal(1)
    expect(bad.stderr).to.include('--to "nope" is not a pp-node address')
  })

  it('exits 0 on SIGTERM and comes back with the same peer id, WebRTC-Direct certificate and chain', async () => {
    const before = (await get('/status')).body.tip
    const peerId = relay!.peerId
    const certhash = (addrs: string[]) => addrs.map((a) => /\/certhash\/(\w+)/.exec(a)?.[1]).find(Boolean)
    const cert = certhash(relay!.multiaddrs)
    expect(cert).to.be.a('string')
    expect(await relay!.stop('SIGTERM')).to.equal(0)
    relay = await startRelayProcess(args())
    expect(relay.peerId).to.equal(peerId)
    expect(certhash(relay.multiaddrs)).to.equal(cert)
    const after = (await get('/status')).body.tip
    expect(after.index).to.be.at.least(before.index)
    expect((await get(`/blocks/${before.hash}`)).body.index).to.equal(before.index)
  })

  it('refuses bad flags with one line and exit code 2', async () => {
    const bad = await run(process.execPath, [RELAY, '--tcp-port', 'abc']).catch((e) => e)
    expect(bad.code).to.equal(2)
    expect(bad.stderr.trim().split('\n')).to.have.length(1)
    const unknown = await run(process.execPath, [RELAY, '--frobnicate']).catch((e) => e)
    expect(unknown.code).to.equal(2)
    await writeFile(join(dataDir, 'bad-genesis.json'), '{"chainId": 5}')
    const genesis = await run(process.execPath, [
      RELAY,
      '--genesis',
      join(dataDir, 'bad-genesis.json'),
      '--data-dir',
      join(dataDir, 'x'),
    ]).catch((e) => e)
    expect(genesis.code).to.equal(2)
    expect(genesis.stderr).to.include('genesis: chainId')
  })
})
