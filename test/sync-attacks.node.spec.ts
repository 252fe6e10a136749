import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { type Genesis, parseGenesis } from '../src/genesis.ts'
import { bftGenesis, type TestKey, testKeys } from './support/chain-fixtures.ts'
import { lyingPeer } from './support/lying-peer.ts'
import { meshReady, networkOf, stepSlot, tcpAddr, until, waitFor } from './support/network-fixtures.ts'
import { ANY_PORTS, type RelayProcess, startRelayProcess } from './support/relay-process.ts'
import { type TcpNodeOptions, TcpNodes } from './support/tcp-nodes.ts'
import { testCrypto } from './support/test-platform.ts'

describe('sync attacks against a real node (Node, TCP)', function () {
  this.timeout(60_000)
  const testNodes = new TcpNodes()
  let keys: TestKey[]
  let genesis: Genesis
  let clock: ManualClock
  const liars: Array<{ stop(): Promise<void> }> = []

  beforeEach(async () => {
    keys = await testKeys(2, await testCrypto(), 'sync-attack')
    genesis = bftGenesis(keys, { k: 5 }) // keys[0] leads every slot
    clock = new ManualClock(slotStart(genesis, 0) - 1)
  })
  afterEach(async () => {
    for (const liar of liars.splice(0)) await liar.stop()
    await testNodes.stopAll()
  })

  const startNode = (producer: TestKey | undefined, options: TcpNodeOptions = {}) =>
    testNodes.start(genesis, clock, { producer, ...options })

  it('four stalling and trickling peers holding every sync slot do not keep a node from syncing, and are charged', async () => {
    const honest = await startNode(keys[0])
    for (let s = 0; s < 10; s++) await stepSlot(clock, genesis, [honest], s)
    expect(honest.getState().tip.index).to.equal(10)
    const victim = await startNode(undefined)
    // Four peers claim a chain of a million blocks; two never answer a blocks request, two trickle.
    const attackers = await Promise.all(
      (['stall', 'stall', 'trickle', 'trickle'] as const).map((how) => lyingPeer(genesis, 1_000_000, how)),
    )
    liars.push(...attackers)
    for (const attacker of attackers) await attacker.join(tcpAddr(victim))
    await waitFor(() => attackers.every((a) => a.asked.blocks > 0), 'every sync slot to be taken by a liar')
    // They also announce orphans, again and again, to take a slot back whenever one frees.
    const flood = setInterval(() => {
      for (const attacker of attackers) void attacker.announceOrphan(10, keys[1].publicKey)
    }, 300)
    try {
      await networkOf(victim).libp2p!.dial(multiaddr(tcpAddr(honest)))
      await waitFor(
        () => victim.getState().tip.index === 10,
        () => `the victim to sync from the honest peer (tip ${victim.getState().tip.index})`,
        12_000,
      )
      // Each liar paid for its slow or empty answers; the honest peer did not.
      const standing = (id: string) => networkOf(victim).peerStanding(id)
      await waitFor(
        () =>
          attackers.every(
            (a) => standing(a.host.peerId.toString()).score < 0 || standing(a.host.peerId.toString()).banned,
          ),
        () => `every liar to be charged (${attackers.map((a) => standing(a.host.peerId.toString()).score)})`,
        20_000,
      )
      expect(standing(networkOf(honest).libp2p!.peerId.toString()).score).to.equal(0)
    } finally {
      clearInterval(flood)
    }
  })

  it('orphan announcements cost the sender once past a few, and a sync they start that brings nothing is charged', async () => {
    const victim = await startNode(keys[0])
    for (let s = 0; s < 3; s++) await stepSlot(clock, genesis, [victim], s)
    // A peer claiming no more than the victim has, announcing unsigned blocks on unknown parents.
    const attacker = await lyingPeer(genesis, 0, 'empty')
    liars.push(attacker)
    await attacker.join(tcpAddr(victim))
    const id = attacker.host.peerId.toString()
    const standing = () => networkOf(victim).peerStanding(id)
    let sent = 0
    while (!standing().banned && sent < 60) {
      await attacker.announceOrphan(2, keys[1].publicKey)
      sent++
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(standing().banned, `score ${standing().score} after ${sent} orphans`).to.equal(true)
    await waitFor(() => victim.getPeers().length === 0, 'the orphan sender to be disconnected')
    expect(victim.getState().tip.index).to.equal(3)
  })

  it('a sync cut short after some blocks ends its progress: the node does not show a sync in flight for good', async () => {
    const source = await startNode(keys[0])
    for (let s = 0; s < 10; s++) await stepSlot(clock, genesis, [source], s)
    const blocks = await source.chainStore.getBlocks(1, 10)
    const victim = await startNode(undefined)
    const progress: Array<[number, number]> = []
    victim.addEventListener('sync:progress', (e) => progress.push([e.detail.done, e.detail.total]))
    // A peer claiming a million blocks serves the first ten, then never answers again.
    const liar = await lyingPeer(genesis, 1_000_000, 'stall', { first: blocks })
    liars.push(liar)
    await liar.join(tcpAddr(victim))
    await waitFor(() => victim.getState().tip.index === 10, 'the victim to take the ten blocks served')
    // The next batch never comes: the sync times out and its progress closes at what it brought.
    await waitFor(
      () => progress.length > 1,
      () => `the sync to end (progress ${JSON.stringify(progress)})`,
      20_000,
    )
    expect(progress).to.deep.equal([
      [10, 1_000_000],
      [10, 10],
    ])
  })

  it('a joining node told of a longer chain counts as syncing until the claim is backed or its sync ends', async () => {
    // Its only bootstrap peer claims a million blocks and never serves one.
    const liar = await lyingPeer(genesis, 1_000_000, 'stall', { listen: true })
    liars.push(liar)
    const victim = await startNode(undefined, { bootstrap: [liar.host.getMultiaddrs()[0].toString()] })
    await waitFor(() => liar.asked.blocks > 0, 'the joiner to ask its peer for blocks')
    expect(victim.getState().syncing, 'syncing while the first sync is in flight').to.equal(true)
    // The claim is never backed: once the sync times out, it no longer holds the node behind.
    await waitFor(() => !victim.getState().syncing, 'the unbacked claim to stop counting', 20_000)
    expect(victim.getState().tip.index).to.equal(0)
  })

  it('an honest peer whose block arrives before its parents is not charged: its sync brings the block and backs its tip', async () => {
    const honest = await startNode(keys[0])
    let dropping = false
    let dropped = 0
    const victim = await startNode(undefined, {
      drop: () => {
        if (dropping) dropped++
        return dropping
      },
    })
    await networkOf(victim).libp2p!.dial(multiaddr(tcpAddr(honest)))
    await meshReady([honest, victim])
    await stepSlot(clock, genesis, [honest], 0)
    await waitFor(() => victim.getState().tip.index === 1, 'the victim to follow the first block')
    // The victim loses three blocks in gossip; the fourth names a parent it does not have.
    dropping = true
    for (let s = 1; s < 4; s++) await stepSlot(clock, genesis, [honest], s)
    await waitFor(() => dropped === 3, 'the victim to lose three blocks')
    dropping = false
    await stepSlot(clock, genesis, [honest], 4)
    await waitFor(
      () => victim.getState().tip.index === 5,
      () => `the victim to catch up (${victim.getState().tip.index})`,
    )
    expect(networkOf(victim).peerStanding(networkOf(honest).libp2p!.peerId.toString()).score).to.equal(0)
    expect(networkOf(victim).bestPeerTip()).to.equal(5)
    expect(victim.getState().syncing).to.equal(false)
  })
})

describe('a peer lying about its tip against a relay process', function () {
  this.timeout(90_000)
  let dir: string
  let relay: RelayProcess | undefined
  const liars: Array<{ stop(): Promise<void> }> = []

  after(async () => {
    for (const liar of liars) await liar.stop()
    await relay?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('a claimed tip of a million blocks, never served, does not make /health 503 and costs the liar', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pp-tip-liar-'))
    relay = await startRelayProcess(
      ['--data-dir', dir, ...ANY_PORTS, '--allow-private', '--slot-ms', '500'],
      { DEBUG: 'pp:*:net' },
    )
    const get = async (path: string) => fetch(`${relay!.httpUrl}${path}`)
    await until(
      async () => (await get('/health')).status === 200,
      () => 'the relay to be healthy',
      30_000,
    )
    const genesis = parseGenesis(await (await get('/genesis')).json())
    const liar = await lyingPeer(genesis, 1_000_000, 'empty')
    liars.push(liar)
    await liar.join(relay.multiaddrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))!)
    await waitFor(() => liar.asked.blocks > 0, 'the relay to ask the liar for blocks')
    // Healthy throughout the next 3 s: the unbacked claim does not count.
    for (let i = 0; i < 10; i++) {
      const health = await get('/health')
      expect(health.status, JSON.stringify(await health.json())).to.equal(200)
      await new Promise((r) => setTimeout(r, 300))
    }
    expect(relay.output()).to.include(`penalising ${liar.host.peerId.toString()}: claimed tip 1000000`)
  })
})
