import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import type { Genesis } from '../src/genesis.ts'
import { bftGenesis, type TestKey, testKeys } from './support/chain-fixtures.ts'
import { lyingPeer } from './support/lying-peer.ts'
import { networkOf, stepSlot, tcpAddr, until, waitFor } from './support/network-fixtures.ts'
import { ANY_PORTS, startRelayProcess } from './support/relay-process.ts'
import { type TcpNodeOptions, TcpNodes } from './support/tcp-nodes.ts'
import { testCrypto } from './support/test-platform.ts'

describe('pruned history between real nodes (Node, TCP, LevelDB)', function () {
  this.timeout(60_000)
  const testNodes = new TcpNodes()
  let keys: TestKey[]
  let genesis: Genesis
  let clock: ManualClock

  beforeEach(async () => {
    keys = await testKeys(1, await testCrypto(), 'pruned-history')
    genesis = bftGenesis(keys, { k: 5, epochLength: 10 }) // keys[0] leads every slot
    clock = new ManualClock(slotStart(genesis, 0) - 1)
  })
  const liars: Array<{ stop(): Promise<void> }> = []
  afterEach(async () => {
    for (const liar of liars.splice(0)) await liar.stop()
    await testNodes.stopAll()
  })

  const startNode = (producer: TestKey | undefined, options: TcpNodeOptions = {}) =>
    testNodes.start(genesis, clock, { producer, ...options })

  it('a pruned node refuses blocks below its horizon with a typed answer and is not charged; the joiner syncs them from a full peer', async () => {
    const full = await startNode(keys[0])
    // Keeps one epoch of 10 slots: the last 10 blocks at least (never the last k = 5).
    const pruned = await startNode(undefined, { keepEpochs: 1, bootstrap: [tcpAddr(full)] })
    await waitFor(() => pruned.getPeers().length > 0, 'the pruned node to connect')
    for (let s = 0; s < 40; s++) await stepSlot(clock, genesis, [full], s)
    await waitFor(() => pruned.getState().tip.index === 40, 'the pruned node to follow the chain')
    expect(pruned.chainStore.horizon).to.equal(31)
    expect(full.chainStore.horizon).to.equal(1)

    // A new node knows both; from block 1 only the full node can serve it.
    const joiner = await startNode(undefined, { bootstrap: [tcpAddr(pruned), tcpAddr(full)] })
    const prunedId = networkOf(pruned).libp2p!.peerId.toString()
    const standing = () => networkOf(joiner).peerStanding(prunedId)
    await waitFor(
      () => standing().horizon === 31,
      () => `the pruned node to refuse the joiner with its horizon (standing ${JSON.stringify(standing())})`,
    )
    await waitFor(() => joiner.getState().tip.index === 40, 'the joiner to sync from the full node', 20_000)
    expect(joiner.chainStore.horizon).to.equal(1)
    expect(standing()).to.deep.equal({ score: 0, banned: false, horizon: 31 })
    // The pruned node follows on and keeps serving what it has: the joiner takes new blocks from either.
    for (let s = 40; s < 45; s++) await stepSlot(clock, genesis, [full], s)
    await waitFor(
      () => pruned.getState().tip.index === 45 && joiner.getState().tip.index === 45,
      'both to follow block 45',
    )
    expect(pruned.chainStore.horizon).to.equal(36)
    expect(networkOf(joiner).peerStanding(prunedId)).to.include({ score: 0, banned: false })
  })

  it('a relay run with --keep-epochs answers GET /blocks below its horizon with 410 HISTORY_PRUNED, and above it as before', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-pruned-relay-'))
    // 31-slot epochs (the least Praos allows with k = 5, f = 1/2) of 50 ms: one epoch kept is 31 blocks.
    const relay = await startRelayProcess([
      '--data-dir',
      dir,
      ...ANY_PORTS,
      '--slot-ms',
      '50',
      '--epoch-length',
      '31',
      '--keep-epochs',
      '1',
    ])
    try {
      const get = async (path: string) => {
        const response = await fetch(`${relay.httpUrl}${path}`)
        return { status: response.status, body: await response.json() }
      }
      let tip = 0
      await until(
        async () => {
          tip = (await get('/status')).body.tip.index
          return tip >= 45
        },
        () => `the relay to reach block 45 (at ${tip})`,
        40_000,
      )
      const below = await get('/blocks?from=1&count=5')
      expect(below.status).to.equal(410)
      expect(below.body.error.code).to.equal('HISTORY_PRUNED')
      const above = await get(`/blocks?from=${tip - 10}&count=5`)
      expect(above.status).to.equal(200)
      expect(above.body.map((b: { index: number }) => b.index)).to.deep.equal(
        [0, 1, 2, 3, 4].map((i) => tip - 10 + i),
      )
    } finally {
      await relay.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a peer claiming a longer chain that refuses every block as pruned below what was asked is charged, not excused', async () => {
    const victim = await startNode(undefined)
    // "Pruned below 1": no block is below 1, so the refusal of block 1 contradicts itself.
    const liar = await lyingPeer(genesis, 1_000_000, 'pruned')
    liars.push(liar)
    await liar.join(tcpAddr(victim))
    const id = liar.host.peerId.toString()
    await waitFor(() => liar.asked.blocks > 0, 'the victim to ask the liar for blocks')
    await waitFor(
      () => networkOf(victim).peerStanding(id).score < 0,
      () => `the liar to be charged (standing ${JSON.stringify(networkOf(victim).peerStanding(id))})`,
      20_000,
    )
    expect(victim.getState().syncing).to.equal(false)
  })
})
