import { expect } from 'chai'
import { ManualClock } from '../src/clock/manual-clock.ts'
import { slotStart } from '../src/consensus/slot-clock.ts'
import { toHex } from '../src/encoding/hash.ts'
import type { PPNode } from '../src/node.ts'
import type { CryptoPort } from '../src/ports.ts'
import { testKeys } from './support/chain-fixtures.ts'
import { type HeaderLie, lyingHeaderPeer } from './support/lying-header-peer.ts'
import { networkOf, tcpAddr, waitFor } from './support/network-fixtures.ts'
import { type PraosChain, praosChain } from './support/praos-chain.ts'
import { TcpNodes } from './support/tcp-nodes.ts'
import { testCrypto } from './support/test-platform.ts'

/** Blocks between snapshot points in these tests. */
const EVERY = 10

describe('joining by the header chain: no checkpoint given, the headers from genesis checked (Node, TCP, LevelDB)', function () {
  this.timeout(120_000)
  const testNodes = new TcpNodes()
  const hosts: Array<{ stop(): Promise<void> }> = []
  let crypto: CryptoPort
  let chain: PraosChain
  let clock: ManualClock
  let source: PPNode

  before(async () => {
    crypto = await testCrypto()
    // Six epochs of a three-pool Praos chain whose stake moves in every block.
    chain = await praosChain(crypto, 6)
  })
  beforeEach(async () => {
    const { genesis, blocks } = chain
    clock = new ManualClock(slotStart(genesis, blocks[blocks.length - 1].header.slot + 1))
    source = await testNodes.start(genesis, clock, { config: { snapshotEvery: EVERY } })
    for (let i = 0; i < blocks.length; i += 20) await source.receiveBlocks(blocks.slice(i, i + 20))
    expect(source.getState().tip.index).to.equal(blocks.length)
  })
  afterEach(async () => {
    for (const host of hosts.splice(0)) await host.stop()
    await testNodes.stopAll()
  })

  /** The snapshot point a header-chain joiner should pick: the newest the source keeps. */
  function expectedPoint(): number {
    const point = source.chainStore.latestSnapshot!
    expect(point.index).to.equal(Math.floor((chain.blocks.length - chain.genesis.k) / EVERY) * EVERY)
    return point.index
  }

  /** Starts a joiner with `checkpoint: 'headers'` whose peers are `bootstrap`; records header progress. */
  async function joiner(bootstrap: string[]) {
    const headers: number[] = []
    const node = await testNodes.start(chain.genesis, clock, {
      bootstrap,
      config: { checkpoint: 'headers', snapshotEvery: EVERY },
      beforeStart: (n) => n.addEventListener('headers:progress', (e) => headers.push(e.detail.done)),
    })
    return { node, headers }
  }

  it('checks the headers with one stake record per epoch, starts at the newest settled snapshot point and follows the tip', async () => {
    const at = expectedPoint()
    const { node, headers } = await joiner([tcpAddr(source)])
    // start() returns once the snapshot is in: the store begins at the point the header chain gave.
    expect(headers.at(-1)).to.be.at.least(at)
    expect(node.chainStore.horizon).to.equal(at)
    expect(toHex((await node.chainStore.hashAt(at))!)).to.equal(toHex(chain.blocks[at - 1].hash))
    expect(toHex(node.chainStore.stateAt(at)!.stateRoot)).to.equal(toHex(chain.states[at - 1].stateRoot))
    await waitFor(
      () => node.getState().tip.hash === source.getState().tip.hash,
      'the joiner to reach the tip',
    )
    expect(toHex(node.chainStore.state.stateRoot)).to.equal(toHex(source.chainStore.state.stateRoot))
  })

  /** A joiner whose first peer (it claims the longest chain) lies as `lie` says, the honest source behind it. */
  async function joinBeside(lie: HeaderLie) {
    const at = expectedPoint()
    const liar = await lyingHeaderPeer(chain.genesis, tcpAddr(source), lie)
    hosts.push({ stop: async () => await liar.host.stop() })
    const { node } = await joiner([liar.addr, tcpAddr(source)])
    const standing = networkOf(node).peerStanding(liar.host.peerId.toString())
    return { at, node, liar, standing }
  }

  it('a peer whose stake records say the stake never moved is caught at the first epoch crossed, charged, and the joiner uses an honest peer', async () => {
    const { at, node, liar, standing } = await joinBeside({ stake: 'genesis' })
    expect(liar.asked.lies, 'the liar sent a false stake record').to.equal(1)
    expect(standing.score).to.be.below(0)
    expect(node.chainStore.horizon).to.equal(at)
    expect(toHex(node.chainStore.stateAt(at)!.stateRoot)).to.equal(toHex(chain.states[at - 1].stateRoot))
  })

  it('a peer that slips in a validly signed header from a key with no stake is charged; the joiner uses an honest peer', async () => {
    const [stranger] = await testKeys(1, crypto, 'header-stranger')
    const { at, node, liar, standing } = await joinBeside({ strangerAt: 7, stranger, crypto })
    expect(liar.asked.lies, 'the liar sent the forged header').to.equal(1)
    expect(standing.score).to.be.below(0)
    expect(node.chainStore.horizon).to.equal(at)
    expect(toHex((await node.chainStore.hashAt(at))!)).to.equal(toHex(chain.blocks[at - 1].hash))
  })

  it('with only a lying peer, says so in an error event once the deadline passes, and does not join by it', async () => {
    const liar = await lyingHeaderPeer(chain.genesis, tcpAddr(source), { stake: 'genesis' })
    hosts.push({ stop: async () => await liar.host.stop() })
    const errors: string[] = []
    const node = await testNodes.start(chain.genesis, clock, {
      bootstrap: [liar.addr],
      config: { checkpoint: 'headers', snapshotEvery: EVERY, snapshotDeadlineMs: 1_500 },
      beforeStart: (n) => n.addEventListener('error', (e) => errors.push(e.detail.error.message)),
    })
    expect(errors).to.deep.equal(['no peer served a header chain that checks out in time'])
    expect(liar.asked.lies).to.equal(1)
    expect(networkOf(node).peerStanding(liar.host.peerId.toString()).score).to.be.below(0)
    expect([node.getState().tip.index, node.chainStore.horizon]).to.deep.equal([0, 1])
  })

  it('on a chain too young for a settled snapshot point, syncs from genesis at once', async () => {
    const young = await testNodes.start(chain.genesis, clock, { config: { snapshotEvery: 1000 } })
    await young.receiveBlocks(chain.blocks.slice(0, 20))
    const node = await testNodes.start(chain.genesis, clock, {
      bootstrap: [tcpAddr(young)],
      config: { checkpoint: 'headers', snapshotEvery: 1000 },
    })
    await waitFor(() => node.getState().tip.index === 20, 'the node to sync from genesis')
    expect(node.chainStore.horizon).to.equal(1)
  })
})
