import { expect } from 'chai'
import { browserPlatform } from '../platform/browser/index.ts'
import { libp2pNetwork } from '../platform/browser/network.ts'
import { fromHex, toHex } from '../src/encoding/hash.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { waitFor } from './support/network-fixtures.ts'
import { relayInfo, relayWebSocketAddr } from './support/relay-info.ts'

describe('browser nodes join the Node relay and talk WebRTC to each other', function () {
  this.timeout(120_000)
  const prefixes: string[] = []
  const tabs: PPNode[] = []

  after(async () => {
    await Promise.all(tabs.map((t) => t.stop()))
    for (const db of await indexedDB.databases()) {
      if (prefixes.some((p) => db.name?.startsWith(p))) indexedDB.deleteDatabase(db.name!)
    }
  })

  it('two producing tabs with IndexedDB storage: blocks flow tab→tab over WebRTC and to the relay; one chain', async () => {
    // No retry: a dropped link fails the case and says when A lost which peer
    // (`npm run repeat -- --browser chromium --runs 20 test/network.browser.spec.ts` counts the runs).
    const info = await relayInfo()
    const ws = await relayWebSocketAddr()
    for (const secret of info.tabSecrets) {
      const prefix = `pp-net-${crypto.randomUUID()}-`
      prefixes.push(prefix)
      const tab = createNode(
        {
          genesis: info.genesis,
          producer: { secret: fromHex(secret)! },
          network: { enableP2P: true, bootstrapPeers: [ws], allowPrivateAddresses: true },
        },
        await browserPlatform({ prefix }),
        { network: libp2pNetwork() },
      )
      await tab.start()
      tabs.push(tab)
    }
    const [a, b] = tabs
    const idOf = (n: PPNode) =>
      n.getState() && (n.network as { libp2p?: { peerId: { toString(): string } } }).libp2p!.peerId.toString()
    const idA = idOf(a)
    const idB = idOf(b)
    const started = performance.now()
    // What each tab saw of the other: links up (with their transport) and down, in seconds.
    const links: string[] = []
    const at = () => `${((performance.now() - started) / 1000).toFixed(1)} s`
    for (const [tab, name, other] of [
      [a, 'A', idB],
      [b, 'B', idA],
    ] as const) {
      tab.addEventListener('peer:connect', ({ detail }) => {
        if (detail.peer.id === other) links.push(`${name} +${detail.peer.transport} ${at()}`)
      })
      tab.addEventListener('peer:disconnect', ({ detail }) => {
        if (detail.id === other) links.push(`${name} - ${at()}`)
      })
    }
    const fromA: string[] = []
    const senders = new Map<string, number>()
    b.addEventListener('block:added', (e) => {
      const sender = e.detail.from === idA ? 'tab A' : e.detail.from === undefined ? 'sync' : 'relay'
      senders.set(sender, (senders.get(sender) ?? 0) + 1)
      if (
        e.detail.from === idA &&
        toHex(e.detail.block.header.issuer) === toHex(fromHex(info.genesis.bftKeys![1])!)
      ) {
        fromA.push(toHex(e.detail.block.hash))
      }
    })
    await waitFor(
      () => a.getPeers().some((p) => p.id === idB && p.transport === 'webrtc'),
      () => `a direct WebRTC connection between the tabs (links A↔B: ${links.join(', ')})`,
      60_000,
    )
    await waitFor(
      () => fromA.length >= 2,
      () =>
        `blocks of tab A reaching tab B straight from A (B's blocks by sender: ${JSON.stringify([...senders])}; A's peers: ${JSON.stringify(a.getPeers().map((p) => `${p.id.slice(-6)} ${p.transport}`))}; links A↔B: ${links.join(', ')}; B is ${idB.slice(-6)})`,
      60_000,
    )
    // Both tabs and the relay end on one chain that holds blocks of all three producers.
    await waitFor(() => a.getState().tip.index >= 9, 'the chain to grow', 60_000)
    const relayTip = async () => (await (await fetch(`${info.httpUrl}/status`)).json()).tip.hash
    let agreed = false
    for (let i = 0; i < 40 && !agreed; i++) {
      const tips = [a.getState().tip.hash, b.getState().tip.hash, await relayTip()]
      agreed = tips.every((t) => t === tips[0])
      if (!agreed) await new Promise((r) => setTimeout(r, 150))
    }
    expect(agreed, 'tabs and relay on the same tip').to.equal(true)
    const issuers = new Set((await a.chainStore.getBlocks(1, 1000)).map((blk) => toHex(blk.header.issuer)))
    expect(issuers.size).to.equal(3)
    // Gossip runs only over direct connections; the tabs' only direct one to each other is WebRTC.
    const transports = a
      .getPeers()
      .filter((p) => p.id === idB)
      .map((p) => p.transport)
    expect(transports).to.include('webrtc')
    expect(transports.every((t) => t === 'webrtc' || t === 'circuit')).to.equal(true)
  })
})
