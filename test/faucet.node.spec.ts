import { expect } from 'chai'
import { Faucet } from '../relay/faucet.ts'
import { httpStatusOf } from '../relay/http-status.ts'
import { makeDevnet } from '../src/devnet.ts'
import { hash } from '../src/encoding/hash.ts'
import { PPError } from '../src/errors.ts'
import { genesisToJson, parseGenesis } from '../src/genesis.ts'
import { addressOf } from '../src/ledger/address.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { errorCode } from './support/chain-fixtures.ts'
import { drivenPlatform, driveSlots } from './support/node-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

describe('devnet faucet: a separate account, fixed grants, bounded in all', () => {
  let env: TestPlatform
  let node: PPNode | undefined

  beforeEach(async () => {
    env = await testPlatform()
  })
  afterEach(async () => {
    await node?.stop()
    await env.dispose()
  })

  it("pays the chain's minimum fee, so its grants are admitted and mined where the genesis sets one", async () => {
    const devnet = await makeDevnet({ faucet: true, genesisTime: 0 }, env.platform.crypto)
    const genesis = parseGenesis({ ...genesisToJson(devnet.genesis), minFee: '7' })
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    node = createNode({ genesis, producer: devnet.producers[0] }, platform)
    await node.start()
    const fund = new Faucet(node, devnet.faucet!.secret, { grant: 1000n, intervalMs: 0 })
    const taker = addressOf(hash(new TextEncoder().encode('taker')))
    const tx = await fund.fund(taker, 'a client')
    expect(tx.body.fee).to.equal(7n)
    await driveSlots(node, clock, genesis, 1, 30)
    expect(node.getState().mempool.transactions).to.equal(0)
    expect(node.getAccount(taker).balance).to.equal(1000n)
  })

  it('can never give one client more than a tenth of the stake, however many requests it makes', async () => {
    let n = 0
    const { genesis, producers, faucet } = await makeDevnet(
      { faucet: true, genesisTime: 0, random: (b) => hash(Uint8Array.of(n++)).slice(0, b) },
      env.platform.crypto,
    )
    expect(genesis.pools.map((p) => addressOf(p.publicKey))).to.not.include(faucet!.address)
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    node = createNode({ genesis, producer: producers[0] }, platform)
    await node.start()
    const supply = [...genesis.balances.values()].reduce((a, b) => a + b, 0n)
    const fund = new Faucet(node, faucet!.secret, {
      grant: supply / 200n,
      intervalMs: 0,
      network: { burst: 1, intervalMs: 0 },
    })
    const taker = addressOf(hash(new TextEncoder().encode('greedy')))
    const outcomes: string[] = []
    for (let i = 0; i < 25; i++)
      outcomes.push(
        await fund.fund(taker, 'one client').then(
          () => 'granted',
          (e) => e.code,
        ),
      )
    expect(outcomes).to.deep.equal([...Array(20).fill('granted'), ...Array(5).fill('FAUCET_EMPTY')])
    // Every grant lands on the chain; the taker then holds under 10 % of all coins (and so of all stake).
    // Slot 0 may be over already (the node handles it at start): the grants land from slot 1 on.
    await driveSlots(node, clock, genesis, 1, 40)
    expect(node.getState().mempool.transactions).to.equal(0)
    const held = node.getAccount(taker).balance
    expect(held).to.equal((supply / 200n) * 20n)
    expect(Number((held * 10_000n) / supply) / 10_000).to.be.at.most(0.1)
    expect(await errorCode(() => fund.fund(addressOf(hash(Uint8Array.of(9))), 'another'))).to.equal(
      'FAUCET_EMPTY',
    )
  })

  it('maps refusals to HTTP statuses by kind: the node unavailable is 503, limits 429, bad input 400', () => {
    const status = (code: string) => httpStatusOf(new PPError(code, code))
    for (const code of [
      'STORE_FULL',
      'STORE_UNAVAILABLE',
      'MEMPOOL_FULL',
      'NODE_NOT_RUNNING',
      'FAUCET_EMPTY',
    ])
      expect(status(code), code).to.equal(503)
    expect(status('FAUCET_RATE_LIMITED')).to.equal(429)
    for (const code of ['BAD_SIGNATURE', 'DECODE_FAILED', 'INVALID_ADDRESS', 'BAD_NONCE'])
      expect(status(code), code).to.equal(400)
    expect(httpStatusOf(new Error('bug'))).to.equal(500)
  })

  it('reserves its rate limit before it awaits: parallel requests from one client get one grant', async () => {
    let n = 0
    const { genesis, producers, faucet } = await makeDevnet(
      { faucet: true, genesisTime: 0, random: (b) => hash(Uint8Array.of(100 + n++)).slice(0, b) },
      env.platform.crypto,
    )
    node = createNode({ genesis, producer: producers[0] }, drivenPlatform(env.platform, genesis).platform)
    await node.start()
    const fund = new Faucet(node, faucet!.secret, { grant: 1000n })
    const requests = Array.from({ length: 200 }, (_, i) =>
      fund.fund(addressOf(hash(Uint8Array.of(i & 255, i >> 8))), 'one client').then(
        () => 'granted',
        (e) => e.code,
      ),
    )
    const outcomes = await Promise.all(requests)
    expect(outcomes.filter((o) => o === 'granted')).to.have.length(1)
    expect(outcomes.filter((o) => o === 'FAUCET_RATE_LIMITED')).to.have.length(199)
  })
})
