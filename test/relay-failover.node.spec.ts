import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { type Browser, chromium, type Page } from 'playwright-core'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/browsers.ts'
import { until } from './support/network-fixtures.ts'
import { ANY_PORTS, freePort, type RelayProcess, startRelayProcess } from './support/relay-process.ts'

type Tab = {
  id: string
  tip(): Promise<number>
  peers(): Promise<string[]>
  webrtcPeers(): Promise<string[]>
}
/** What the test reads of the script-tag global and the node it makes, inside the page. */
type TabNode = {
  start(): Promise<void>
  getState(): { tip: { index: number } }
  getPeers(): { id: string; transport: string }[]
  /** The node runs in a worker (the script tag's joinRelay): its peer id is mirrored on the page. */
  peerId: string
}
type TabWindow = { PPNode: { joinRelay(options: unknown): Promise<TabNode> }; node: TabNode }

describe('several relays: tabs stay on the chain when one relay dies, and reconnect when it returns', function () {
  this.timeout(240_000)
  const dirs: string[] = []
  const relays: RelayProcess[] = []
  let browser: Browser | undefined

  const dataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-failover-'))
    dirs.push(dir)
    return dir
  }
  const start = async (args: string[]) => {
    const relay = await startRelayProcess([
      '--allow-private',
      '--slot-ms',
      '250',
      '--epoch-length',
      '31',
      ...args,
    ])
    relays.push(relay)
    return relay
  }
  const tipOf = async (relay: RelayProcess) =>
    ((await (await fetch(`${relay.httpUrl}/status`)).json()) as { tip: { index: number } }).tip.index

  after(async () => {
    await browser?.close()
    for (const relay of relays) if (relay.child.exitCode === null) await relay.stop('SIGKILL')
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('two relays, two tabs, one producer: kill relay 1, tabs follow through relay 2 and keep their WebRTC link; relay 1 returns, catches up, tabs reconnect', async () => {
    const producerDir = await dataDir()
    const producer = await start(['--data-dir', producerDir, ...ANY_PORTS])
    const producerTcp = producer.multiaddrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))!
    const follow = ['--genesis', join(producerDir, 'genesis.json'), '--bootstrap', producerTcp]
    // Relay 1 keeps its ports and data dir across its restart, so tabs can find it again.
    const r1Dir = await dataDir()
    const [tcp, ws, http] = [await freePort(), await freePort(), await freePort()]
    const r1Args = [
      '--data-dir',
      r1Dir,
      '--tcp-port',
      String(tcp),
      '--ws-port',
      String(ws),
      '--webrtc-port',
      '0',
      '--http-port',
      String(http),
      ...follow,
    ]
    let r1 = await start(r1Args)
    const r2 = await start(['--data-dir', await dataDir(), ...ANY_PORTS, ...follow])
    const r1Id = r1.peerId
    const r2Id = r2.peerId

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
    const context = await browser.newContext()
    const errors: string[] = []
    const openTab = async (name: string): Promise<Tab> => {
      const page: Page = await context.newPage()
      page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`))
      await page.goto(`${r2.httpUrl}/status`) // any page of relay 2's origin
      await page.addScriptTag({ url: `${r2.httpUrl}/pp-node.min.js` })
      await page.evaluate(
        async ({ relays, prefix }) => {
          const w = window as unknown as TabWindow
          w.node = await w.PPNode.joinRelay({ relays, prefix })
          await w.node.start()
        },
        { relays: [r1.httpUrl, r2.httpUrl], prefix: `pp-failover-${name}-` },
      )
      return {
        id: await page.evaluate(() => (window as unknown as TabWindow).node.peerId),
        webrtcPeers: () =>
          page.evaluate(() =>
            (window as unknown as TabWindow).node
              .getPeers()
              .filter((p) => p.transport === 'webrtc')
              .map((p) => p.id),
          ),
        tip: () => page.evaluate(() => (window as unknown as TabWindow).node.getState().tip.index),
        peers: () => page.evaluate(() => (window as unknown as TabWindow).node.getPeers().map((p) => p.id)),
      }
    }
    const tabs = [await openTab('a'), await openTab('b')]

    // Both tabs follow the chain with a connection to each relay.
    await until(
      async () => {
        const tip = await tipOf(producer)
        for (const tab of tabs) {
          const peers = await tab.peers()
          if (!peers.includes(r1Id) || !peers.includes(r2Id) || (await tab.tip()) < Math.max(3, tip - 1))
            return false
        }
        return true
      },
      () => 'both tabs synced and connected to both relays',
      60_000,
    )
    // And to each other, directly over WebRTC (signalled through a relay).
    const [a, b] = tabs as [Tab, Tab]
    await until(
      async () => (await a.webrtcPeers()).includes(b.id) || (await b.webrtcPeers()).includes(a.id),
      () => 'a WebRTC connection between the tabs',
      60_000,
    )

    // Relay 1 dies.
    await r1.stop('SIGKILL')
    const killedAt = Date.now()
    const tipsAtKill = await Promise.all(tabs.map((t) => t.tip()))
    const newBlockAfter: number[] = []
    await until(
      async () => {
        const tips = await Promise.all(tabs.map((t) => t.tip()))
        tips.forEach((tip, i) => {
          if (tip > tipsAtKill[i] && newBlockAfter[i] === undefined) newBlockAfter[i] = Date.now() - killedAt
        })
        return tips.every((tip, i) => tip >= tipsAtKill[i] + 4)
      },
      () => `tabs to follow 4 more blocks after relay 1 died (at ${tipsAtKill.join(', ')})`,
      60_000,
    )
    for (const tab of tabs) expect(await tab.peers()).to.include(r2Id)
    // The tabs' own WebRTC link outlived the relay.
    expect([...(await a.webrtcPeers()), ...(await b.webrtcPeers())]).to.include.oneOf([a.id, b.id])
    console.log(`      relay 1 killed → next block in the tabs after ${newBlockAfter.join(' ms, ')} ms`)

    // Relay 1 returns with its data dir and ports: it catches up, and the tabs reconnect to it.
    const restartedAt = Date.now()
    r1 = await start(r1Args)
    expect(r1.peerId).to.equal(r1Id)
    await until(
      async () => (await tipOf(r1)) >= (await tipOf(producer)) - 1,
      () => 'relay 1 to catch up with the producer',
      60_000,
    )
    const caughtUp = Date.now() - restartedAt
    await until(
      async () => (await Promise.all(tabs.map((t) => t.peers()))).every((peers) => peers.includes(r1Id)),
      () => 'both tabs to reconnect to relay 1',
      90_000,
    )
    console.log(
      `      relay 1 restarted → caught up after ${caughtUp} ms, both tabs reconnected after ${Date.now() - restartedAt} ms`,
    )
    expect(errors).to.deep.equal([])
  })
})
