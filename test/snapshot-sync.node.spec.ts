import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { nodePlatform } from '../platform/node/index.ts'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { hash, toHex } from '../src/encoding/hash.ts'
import { type Genesis, genesisToJson } from '../src/genesis.ts'
import { addressOf } from '../src/ledger/address.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import type { Checkpoint } from '../src/ledger/snapshot.ts'
import type { PPNode } from '../src/node.ts'
import { bftGenesis, type TestKey, testKeys, transfer } from './support/chain-fixtures.ts'
import { lyingSnapshotPeer, type SnapshotLie } from './support/lying-snapshot-peer.ts'
import { networkOf, stepSlot, tcpAddr, waitFor } from './support/network-fixtures.ts'
import { TcpNodes } from './support/tcp-nodes.ts'
import { testCrypto } from './support/test-platform.ts'

/** Funded accounts beside the producers: enough that most of the 1024 chunks hold some. */
const ACCOUNTS = 600
/** Blocks between snapshot points in these tests. */
const EVERY = 10

const JOINER = new URL('./support/snapshot-joiner.ts', import.meta.url).pathname

/** Runs the joiner child; SIGKILLs it once it reports `killAt` chunks kept. Resolves with what it reported. */
function runJoiner(
  args: string[],
  killAt?: number,
): Promise<{ progress: number[]; joined?: [number, string] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [JOINER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    const seen: { progress: number[]; joined?: [number, string] } = { progress: [] }
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000)
    let buffer = ''
    child.stdout.on('data', (data: Buffer) => {
      buffer += data.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) {
        const [word, a, b] = line.split(' ')
        if (word === 'progress') seen.progress.push(Number(a))
        if (word === 'joined') seen.joined = [Number(a), b]
        if (word === 'progress' && killAt !== undefined && Number(a) >= killAt) child.kill('SIGKILL')
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(guard)
      if (killAt !== undefined ? signal === 'SIGKILL' : code === 0) resolve(seen)
      else reject(new Error(`the joiner ended with ${signal ?? code}`))
    })
  })
}

describe('snapshot sync: joining from a checkpoint between real nodes (Node, TCP, LevelDB)', function () {
  this.timeout(120_000)
  const testNodes = new TcpNodes()
  const hosts: Array<{ stop(): Promise<void> }> = []
  let keys: TestKey[]
  let genesis: Genesis
  let clock: ManualClock
  let source: PPNode
  let follower: PPNode
  let slot = 0

  beforeEach(async () => {
    keys = await testKeys(3, await testCrypto(), 'snapshot')
    const balances: Record<string, string> = { [keys[2].address]: '1000000000' }
    for (const key of keys.slice(0, 2)) balances[key.address] = '1000000'
    for (let i = 0; i < ACCOUNTS; i++) balances[addressOf(hash(Uint8Array.of(i >> 8, i & 255)))] = '5'
    // keys[0] leads even slots, keys[1] odd ones; keys[2] only pays.
    genesis = bftGenesis(keys, { protocolVersion: 2, k: 5, epochLength: 10, balances }, 2)
    clock = new ManualClock(slotStart(genesis, 0) - 1)
    slot = 0
    source = await testNodes.start(genesis, clock, { producer: keys[0], config: { snapshotEvery: EVERY } })
    follower = await testNodes.start(genesis, clock, {
      bootstrap: [tcpAddr(source)],
      config: { snapshotEvery: EVERY },
    })
    await waitFor(() => follower.getPeers().length > 0, 'the follower to connect')
    // 25 blocks, each paying a few of the genesis accounts: the state changes block by block.
    await grow([source], 50)
    await waitFor(
      () => follower.getState().tip.hash === source.getState().tip.hash,
      'the follower to catch up',
    )
  })
  afterEach(async () => {
    for (const host of hosts.splice(0)) await host.stop()
    await testNodes.stopAll()
  })

  /** Drives `slots` slots on `producers`, a payment from keys[2] to a genesis account in each. */
  async function grow(producers: PPNode[], slots: number): Promise<void> {
    for (const end = slot + slots; slot < end; slot++) {
      const payer = producers[0]
      const nonce = payer.nextNonce(keys[2].address)
      const to = addressOf(hash(Uint8Array.of(0, slot % 200)))
      const tx = await transfer(keys[2], to, 7n, nonce, await testCrypto(), { fee: 1n })
      await payer.submitTransaction(tx)
      await stepSlot(clock, genesis, producers, slot)
      // Each block reaches the other producer before it leads the next slot.
      const tip = () => producers[0].getState().tip.hash
      await waitFor(() => producers.every((p) => p.getState().tip.hash === tip()), 'the producers to agree')
    }
  }

  /** The newest snapshot point both the source and the follower serve. */
  function checkpoint(): Checkpoint {
    const point = source.chainStore.latestSnapshot!
    expect(follower.chainStore.latestSnapshot?.index).to.equal(point.index)
    return { index: point.index, hash: point.hash }
  }

  it('a new node starts at the checkpoint with the state checked chunk by chunk, follows the tip, and produces blocks the replaying nodes take', async () => {
    const at = checkpoint()
    expect(at.index).to.equal(20)
    const progress: number[] = []
    const env = await testNodes.platform()
    const node = await testNodes.start(genesis, clock, {
      env,
      producer: keys[1],
      bootstrap: [tcpAddr(source), tcpAddr(follower)],
      config: { checkpoint: `${at.index}:${toHex(at.hash)}`, snapshotEvery: EVERY },
      beforeStart: (n) => n.addEventListener('snapshot:progress', (e) => progress.push(e.detail.done)),
    })
    // start() returns once the snapshot is in: the store begins at the checkpoint.
    expect(progress.at(-1)).to.equal(1024)
    expect(progress.length).to.be.above(30)
    expect(node.chainStore.horizon).to.equal(at.index)
    expect(toHex(node.chainStore.stateAt(at.index)?.stateRoot ?? new Uint8Array())).to.equal(
      toHex(source.chainStore.stateAt(at.index)?.stateRoot ?? hash(new Uint8Array())),
    )
    expect(await node.chainStore.getBlocks(at.index - 1, 1).catch((e) => e.code)).to.equal('HISTORY_PRUNED')
    await waitFor(
      () => node.getState().tip.hash === source.getState().tip.hash,
      'the joiner to reach the tip',
    )
    expect(toHex(node.chainStore.state.stateRoot)).to.equal(toHex(source.chainStore.state.stateRoot))
    // It produces in its own slots (odd ones) and the nodes that replayed from genesis take its blocks.
    await grow([source, node], 10)
    await waitFor(
      () => [source, follower].every((n) => n.getState().tip.hash === node.getState().tip.hash),
      'all three to agree on the tip',
    )
    const blocks = await source.chainStore.getBlocks(source.getState().tip.index - 9, 10)
    const byJoiner = blocks.filter((b) => toHex(b.header.issuer) === toHex(keys[1].publicKey))
    expect(byJoiner.length).to.equal(5)
    expect(toHex(node.chainStore.state.stateRoot)).to.equal(toHex(follower.chainStore.state.stateRoot))
    // Reopened, its store (the snapshot's accounts kept as chunks, later ones one by one) gives the same state.
    const root = toHex(node.chainStore.state.stateRoot)
    await node.stop()
    const reopened = await ChainStore.open(await env.platform.openStore('chain'), genesis)
    expect([reopened.horizon, toHex(reopened.state.stateRoot)]).to.deep.equal([at.index, root])
    await reopened.close()
  })

  /** Starts a joiner whose only peers are a liar and, behind it, the honest source. */
  async function joinBeside(lie: SnapshotLie) {
    const at = checkpoint()
    const liar = await lyingSnapshotPeer(genesis.chainId, tcpAddr(source), lie)
    hosts.push({ stop: async () => await liar.host.stop() })
    const node = await testNodes.start(genesis, clock, {
      bootstrap: [liar.addr, tcpAddr(follower)],
      config: { checkpoint: { index: at.index, hash: at.hash }, snapshotEvery: EVERY },
    })
    const liarId = liar.host.peerId.toString()
    return { at, node, liar, standing: () => networkOf(node).peerStanding(liarId) }
  }

  it('a chunk with one flipped byte is refused and its peer charged; the joiner completes from an honest peer', async () => {
    const { at, node, liar, standing } = await joinBeside({ chunk: 'flip' })
    expect(liar.asked.lies, 'the liar sent a bent chunk').to.be.at.least(1)
    expect(standing().score).to.be.below(0)
    expect(node.chainStore.horizon).to.equal(at.index)
    expect(toHex(node.chainStore.stateAt(at.index)!.stateRoot)).to.equal(
      toHex(source.chainStore.stateAt(at.index)!.stateRoot),
    )
  })

  it('a manifest of the right block with the subtrees of another state is caught at once and its peer charged', async () => {
    // The other state: the snapshot point before the newest (both nodes keep the last two).
    const previous = await source.chainStore.hashAt(checkpoint().index - EVERY)
    const { at, node, liar, standing } = await joinBeside({ manifestFrom: previous! })
    expect(liar.asked.lies, 'the liar sent a spliced manifest').to.be.at.least(1)
    expect(standing().score).to.be.below(0)
    expect(liar.asked.chunks, 'no chunk is asked of a peer whose manifest lied').to.equal(0)
    expect(node.chainStore.horizon).to.equal(at.index)
  })

  it('kill -9 during the download leaves a store that resumes where it stopped, never a half state', async () => {
    const at = checkpoint()
    const slow = await lyingSnapshotPeer(genesis.chainId, tcpAddr(source), { slowMs: 15 })
    hosts.push({ stop: async () => await slow.host.stop() })
    const dataDir = await mkdtemp(join(tmpdir(), 'pp-snapshot-kill-'))
    hosts.push({ stop: () => rm(dataDir, { recursive: true, force: true }) })
    const genesisFile = join(dataDir, 'genesis.json')
    await writeFile(genesisFile, JSON.stringify(genesisToJson(genesis)))
    const args = [dataDir, genesisFile, `${at.index}:${toHex(at.hash)}`, slow.addr]
    const first = await runJoiner(args, 150)
    expect(first.joined, 'killed before the snapshot was in').to.equal(undefined)
    expect(first.progress.at(-1)).to.be.within(150, 1000)
    // Reopened after the kill: nothing of the snapshot is part of the chain yet.
    const platform = nodePlatform({ dataDir })
    const store = await ChainStore.open(await platform.openStore('chain'), genesis)
    expect([store.tip.index, store.horizon]).to.deep.equal([0, 1])
    await store.close()
    const asked = slow.asked.chunks
    const second = await runJoiner(args)
    expect(second.progress[0], 'the second run starts with the chunks the first kept').to.be.at.least(
      first.progress.at(-1)!,
    )
    expect(slow.asked.chunks - asked).to.be.at.most(1024 - first.progress.at(-1)! + 4)
    expect(second.joined).to.deep.equal([at.index, toHex(source.chainStore.stateAt(at.index)!.stateRoot)])
  })

  it('with no peer serving the checkpoint, says so in an error event and syncs from genesis instead', async () => {
    const errors: string[] = []
    const node = await testNodes.start(genesis, clock, {
      bootstrap: [tcpAddr(source)],
      config: { checkpoint: { index: 7, hash: new Uint8Array(32).fill(1) }, snapshotDeadlineMs: 1_500 },
      beforeStart: (n) => n.addEventListener('error', (e) => errors.push(e.detail.error.message)),
    })
    expect(errors).to.deep.equal(['no peer served the snapshot of block 7 in time'])
    await waitFor(
      () => node.getState().tip.hash === source.getState().tip.hash,
      'the node to sync from genesis',
    )
    expect(node.chainStore.horizon).to.equal(1)
  })
})
