import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { type IncomingHttpHeaders, request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect } from 'chai'
import { nodeCrypto } from '../platform/node/crypto.ts'
import { clientNetworkOf } from '../relay/client-address.ts'
import { addressOf } from '../src/ledger/address.ts'
import { waitFor } from './support/network-fixtures.ts'
import { ANY_PORTS, type RelayProcess, startRelayProcess } from './support/relay-process.ts'

const run = promisify(execFile)
const RELAY = new URL('../relay.js', import.meta.url).pathname

/**
 * Strangers against the relay's HTTP side, each client on its own loopback address (all of 127/8
 * is loopback on Linux): 127.0.N.x share the /24 127.0.N.0, so one test's network is another's stranger.
 */
describe('node relay.js HTTP API: connection caps, deadlines, per-network rate limits, faucet', function () {
  this.timeout(60_000)
  let dataDir: string
  let relay: RelayProcess | undefined
  let port: number

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pp-http-limits-'))
    // Deadlines and the overall cap shortened through the environment (a relay that does not know
    // them ignores the variables, so the attacks below meet its defaults); the rest are defaults.
    relay = await startRelayProcess(['--data-dir', dataDir, ...ANY_PORTS], {
      PP_HTTP_HEADER_TIMEOUT: '4',
      PP_HTTP_REQUEST_TIMEOUT: '5',
      PP_HTTP_MAX_CONNECTIONS: '150',
      PP_TRUSTED_PROXY: '127.0.0.1',
    })
    port = Number(new URL(relay.httpUrl).port)
  })
  after(async () => {
    if (relay && relay.child.exitCode === null) await relay.stop('SIGKILL')
    await rm(dataDir, { recursive: true, force: true })
  })

  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, checked by the assertions
  type Answer = { status: number; headers: IncomingHttpHeaders; body: any }
  /** One request on a new connection from `from`; rejects when the relay closes it unanswered. */
  const call = (from: string, method: string, path: string, body?: string, headers = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method, path, localAddress: from, agent: false, headers },
        (res) => {
          let text = ''
          res.on('data', (c: Buffer) => {
            text += c.toString()
          })
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }),
          )
        },
      )
      req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')))
      req.on('error', reject)
      req.end(body)
    })
  /** A raw connection from `from`, with what the relay sent and whether it was closed. */
  const open = (from: string): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress: from })
      let received = ''
      let closed = false
      socket.on('data', (c: Buffer) => {
        received += c.toString()
      })
      socket.on('error', () => {})
      socket.on('close', () => {
        closed = true
      })
      socket.once('connect', () => resolve({ socket, received: () => received, closed: () => closed }))
      socket.once('error', reject)
    })
  const address = async (seed: number) => addressOf(await nodeCrypto.publicKey(new Uint8Array(32).fill(seed)))

  it('cuts off a client that sends nothing, trickles its headers or trickles its body, at the deadlines (408)', async () => {
    const started = Date.now()
    const idle = await open('127.0.10.1')
    const headers = await open('127.0.10.2')
    const body = await open('127.0.10.3')
    body.socket.write(`POST /tx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000\r\n\r\n`)
    // A byte every 200 ms: each one alone would reset an idle timeout, never a deadline.
    const line = `GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(1000)}`
    let i = 0
    const trickle = setInterval(() => {
      if (!headers.closed()) headers.socket.write(line[i++] ?? 'a')
      if (!body.closed()) body.socket.write('{')
    }, 200)
    try {
      const all = [idle, headers, body]
      await waitFor(
        () => all.every((c) => c.closed()),
        () => `all three cut off (open after ${Date.now() - started} ms: ${all.map((c) => !c.closed())})`,
        12_000,
      )
    } finally {
      clearInterval(trickle)
    }
    const elapsed = Date.now() - started
    expect(elapsed).to.be.within(3_500, 12_000)
    // Those that sent something are told why; a silent one may just be closed.
    for (const c of [headers, body]) expect(c.received()).to.match(/^HTTP\/1\.1 408/)
    expect(idle.received()).to.match(/^(HTTP\/1\.1 408|)/)
  })

  it("closes one network's connections past its share at once, and still serves other networks", async () => {
    const held = await Promise.all(Array.from({ length: 100 }, (_, i) => open(`127.0.11.${1 + i}`)))
    try {
      // The default share is 64 open connections per /24: the other 36 are closed at once.
      await waitFor(
        () => held.filter((c) => c.closed()).length >= 36,
        () =>
          `36 of 100 connections of 127.0.11.0/24 closed (closed: ${held.filter((c) => c.closed()).length})`,
        3_000,
      )
      expect((await call('127.0.12.1', 'GET', '/status')).status).to.equal(200)
      const same = await call('127.0.11.250', 'GET', '/status').then(
        (a) => `answered ${a.status}`,
        () => 'closed',
      )
      expect(same).to.equal('closed')
      // The ones it holds, silent, are closed at the header deadline (4 s here) like any other.
      await waitFor(
        () => held.every((c) => c.closed()),
        () => `the held connections closed (open: ${held.filter((c) => !c.closed()).length})`,
        8_000,
      )
    } finally {
      for (const c of held) c.socket.destroy()
    }
    // The overall cap (150 here): 4 networks of 50 connections each, 50 of them closed at once.
    await waitFor(() => held.every((c) => c.closed()), 'the first connections closed', 5_000)
    await new Promise((r) => setTimeout(r, 200))
    const many = await Promise.all(Array.from({ length: 200 }, (_, i) => open(`127.0.${13 + (i % 4)}.1`)))
    try {
      await waitFor(
        () => many.filter((c) => c.closed()).length >= 50,
        () =>
          `50 of 200 connections closed by the overall cap (closed: ${many.filter((c) => c.closed()).length})`,
        3_000,
      )
    } finally {
      for (const c of many) c.socket.destroy()
    }
    await waitFor(() => many.every((c) => c.closed()), 'the connections closed', 5_000)
  })

  it('answers POST /tx past 20 a second from one network with 429 and Retry-After; other networks pass', async () => {
    const started = Date.now()
    const answers: Answer[] = []
    for (let batch = 0; batch < 6; batch++)
      answers.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, i) => call(`127.0.17.${1 + i}`, 'POST', '/tx', '{}')),
        )),
      )
    const seconds = (Date.now() - started) / 1000
    const limited = answers.filter((a) => a.status === 429)
    // A burst of 40, then 20 a second: every other request was read, decoded and refused (400).
    expect(answers.length - limited.length).to.be.at.most(40 + Math.ceil(20 * seconds) + 1)
    expect(limited.length).to.be.at.least(1)
    expect(limited[0].body.error.code).to.equal('RATE_LIMITED')
    expect(limited[0].headers['retry-after']).to.equal('1')
    const other = await call('127.0.18.1', 'POST', '/tx', '{}')
    expect([other.status, other.body.error.code]).to.deep.equal([400, 'DECODE_FAILED'])
  })

  it('gives the addresses of one /24 five grants an hour in all, scripts with no Origin included', async () => {
    const outcomes: string[] = []
    for (let i = 0; i < 10; i++) {
      const a = await call(
        `127.0.19.${10 + i}`,
        'POST',
        '/faucet',
        JSON.stringify({ address: await address(40 + i) }),
      )
      outcomes.push(
        a.status === 202 ? 'granted' : `${a.status} ${a.body.error.code} ${a.headers['retry-after']}`,
      )
    }
    expect(outcomes.filter((o) => o === 'granted')).to.have.length(5)
    for (const o of outcomes.slice(5)) expect(o).to.match(/^429 FAUCET_RATE_LIMITED [1-9]\d{2,}$/)
    const other = await call('127.0.20.1', 'POST', '/faucet', JSON.stringify({ address: await address(60) }))
    expect(other.status).to.equal(202)
  })

  it("behind a trusted proxy limits the client's IPv6 /64, not the proxy, and ignores the header from others", async () => {
    const viaProxy = async (client: string, seed: number) =>
      (
        await call('127.0.0.1', 'POST', '/faucet', JSON.stringify({ address: await address(seed) }), {
          // What the client claims comes first; the proxy appends the address it saw.
          'x-forwarded-for': `198.51.100.${seed}, ${client}`,
        })
      ).status
    const oneHost: number[] = []
    for (let i = 1; i <= 7; i++) oneHost.push(await viaProxy(`2001:db8:1:2:${i.toString(16)}::${i}`, 70 + i))
    expect(oneHost).to.deep.equal([202, 202, 202, 202, 202, 429, 429])
    expect(await viaProxy('2001:db8:1:3::1', 80)).to.equal(202)
    // From any other address the header is the client's own word, and ignored.
    const first = await call(
      '127.0.21.1',
      'POST',
      '/faucet',
      JSON.stringify({ address: await address(81) }),
      {
        'x-forwarded-for': '2001:db8:9:1::1',
      },
    )
    const second = await call(
      '127.0.21.1',
      'POST',
      '/faucet',
      JSON.stringify({ address: await address(82) }),
      {
        'x-forwarded-for': '2001:db8:9:2::1',
      },
    )
    expect([first.status, second.status]).to.deep.equal([202, 429])
  })

  it('groups client addresses by /24 and /64, IPv4-mapped ones as IPv4, and lists the limits in --help', async () => {
    expect(clientNetworkOf('203.0.113.77')).to.equal('203.0.113.0/24')
    expect(clientNetworkOf('::ffff:203.0.113.77')).to.equal('203.0.113.0/24')
    expect(clientNetworkOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).to.equal('2001:db8:1:2::/64')
    expect(clientNetworkOf('2001:0db8:1:2::9')).to.equal('2001:db8:1:2::/64')
    expect(clientNetworkOf('2001:db8:1:3::9')).to.not.equal(clientNetworkOf('2001:db8:1:2::9'))
    const { stdout } = await run(process.execPath, [RELAY, '--help'])
    for (const flag of [
      '--http-max-connections',
      '--http-network-connections',
      '--http-header-timeout',
      '--http-request-timeout',
      '--tx-rate',
      '--trusted-proxy',
      '--faucet-network-limit',
    ])
      expect(stdout).to.include(flag)
  })
})
