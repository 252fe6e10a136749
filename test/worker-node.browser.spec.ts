import { expect } from 'chai'
import { joinRelayInWorker, type WorkerNode } from '../platform/browser/worker-node/worker-node.ts'
import { fromHex, toHex } from '../src/encoding/hash.ts'
import { addressOf } from '../src/ledger/address.ts'
import { waitFor } from './support/network-fixtures.ts'
import { relayInfo } from './support/relay-info.ts'

describe('nodes in dedicated workers: WebRTC through the page, the node API across', function () {
  this.timeout(120_000)
  const prefixes: string[] = []
  const tabs: WorkerNode[] = []

  after(async () => {
    await Promise.all(tabs.map((t) => t.stop()))
    for (const db of await indexedDB.databases()) {
      if (prefixes.some((p) => db.name?.startsWith(p))) indexedDB.deleteDatabase(db.name!)
    }
  })

  it('two producing worker nodes: blocks flow worker→worker over the page-held WebRTC link; one chain with the relay', async () => {
    const info = await relayInfo()
    for (const secret of info.tabSecrets) {
      const prefix = `pp-worker-${crypto.randomUUID()}-`
      prefixes.push(prefix)
      // The worker's script comes from the relay, another origin than this page's: the cross-origin path.
      const tab = await joinRelayInWorker({
        relays: [info.httpUrl],
        prefix,
        producer: { secret: fromHex(secret)! },
        allowPrivateAddresses: true,
        workerUrl: `${info.httpUrl}/pp-node-worker.min.js`,
      })
      expect(() => tab.getState()).to.throw(/not running/)
      await tab.start()
      tabs.push(tab)
    }
    const [a, b] = tabs
    const tabPeer = (n: WorkerNode) =>
      n.getPeers().find((p) => p.id !== info.peerId && p.transport === 'webrtc')
    await waitFor(
      () => tabPeer(a) !== undefined && tabPeer(b) !== undefined,
      'a WebRTC link between the workers',
      60_000,
    )
    const aKey = toHex(fromHex(info.genesis.bftKeys![1])!)
    const fromA: string[] = []
    const senders = new Map<string, number>()
    b.addEventListener('block:added', ({ detail }) => {
      const sender = detail.from === info.peerId ? 'relay' : detail.from === undefined ? 'sync' : 'tab'
      senders.set(sender, (senders.get(sender) ?? 0) + 1)
      if (sender === 'tab' && toHex(detail.block.header.issuer) === aKey) fromA.push(toHex(detail.block.hash))
    })
    await waitFor(
      () => fromA.length >= 2,
      () => `A's blocks reaching B from A (B's blocks by sender: ${JSON.stringify([...senders])})`,
      60_000,
    )
    expect(tabPeer(b)?.id).to.equal(a.peerId)
    await waitFor(() => a.getState().tip.index >= 9, 'the chain to grow', 60_000)
    const relayTip = async () => (await (await fetch(`${info.httpUrl}/status`)).json()).tip.hash
    let agreed = false
    for (let i = 0; i < 40 && !agreed; i++) {
      const tips = [a.getState().tip.hash, b.getState().tip.hash, await relayTip()]
      agreed = tips.every((t) => t === tips[0])
      if (!agreed) await new Promise((r) => setTimeout(r, 150))
    }
    expect(agreed, 'workers and relay on the same tip').to.equal(true)
    const blocks = await a.getBlocks(1, 1000)
    expect(new Set(blocks.map((blk) => toHex(blk.header.issuer))).size).to.equal(3)
    expect(blocks[0].header.index).to.equal(1)
    const producer = addressOf(blocks[0].header.issuer)
    expect(await a.nextNonce(producer)).to.equal(0)
    expect((await a.getAccount(producer)).nonce).to.equal(0)
  })

  it('an aborted start stops the node in its worker and rejects with the reason', async () => {
    const info = await relayInfo()
    const prefix = `pp-worker-${crypto.randomUUID()}-`
    prefixes.push(prefix)
    const tab = await joinRelayInWorker({
      relays: [info.httpUrl],
      prefix,
      allowPrivateAddresses: true,
      workerUrl: `${info.httpUrl}/pp-node-worker.min.js`,
    })
    try {
      const abort = new AbortController()
      const starting = tab.start({ signal: abort.signal })
      abort.abort(new Error('the user left'))
      const err = await starting.then(
        () => undefined,
        (e: Error) => e,
      )
      expect(err?.message).to.equal('the user left')
      // The worker's node gave up too: still not running once its answer is in.
      expect(
        await tab.getAccount(addressOf(fromHex(info.genesis.bftKeys![1])!)).then(
          () => 'running',
          (e: Error & { code?: string }) => e.code,
        ),
      ).to.equal('NODE_NOT_RUNNING')
    } finally {
      await tab.stop()
    }
  })

  it('errors cross as typed errors with their code', async () => {
    const [a] = tabs
    const err = await a.getAccount('not an address').then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    )
    expect(err).to.be.instanceOf(Error)
    expect(err?.code).to.equal('INVALID_ADDRESS')
    const bad = await joinRelayInWorker({
      relays: ['http://127.0.0.1:9/'],
      workerUrl: `${(await relayInfo()).httpUrl}/pp-node-worker.min.js`,
    }).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    )
    expect(bad?.code).to.equal('RELAY_UNREACHABLE')
  })
})
