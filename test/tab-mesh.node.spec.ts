import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { type Browser, chromium, type Page } from 'playwright-core'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/browsers.ts'
import { binaryIn, makeNamespace, type Namespace } from './support/namespace.ts'
import { until } from './support/network-fixtures.ts'
import { ANY_PORTS, type RelayProcess, startRelayProcess } from './support/relay-process.ts'
import { skipStrongPath } from './support/strong-path.ts'

/** What the test reads of the script-tag global and the node it makes, inside the page. */
type TabNode = {
  start(): Promise<void>
  getState(): { tip: { index: number; hash: string } }
  getPeers(): { id: string; transport: string }[]
}
type TabWindow = { PPNode: { joinRelay(options: unknown): Promise<TabNode> }; node: TabNode }

/** One tab's connections: distinct WebRTC peers, WebRTC connections, relayed circuits, and its tip. */
type TabView = { webrtcPeers: number; webrtc: number; circuits: number; tip: number; hash: string }

const TABS = 20
const TARGET = 6
const MAX = 12
/** Fewest WebRTC peers a settled tab may have: tabs seek TARGET, some wait on dials to full peers. */
const MIN = 3

describe(`a bounded tab mesh: ${TABS} tabs on one relay`, function () {
  this.timeout(360_000)
  let relay: RelayProcess | undefined
  let browser: Browser | undefined
  let dir: string | undefined
  let ns: Namespace | undefined

  after(async () => {
    await browser?.close()
    await relay?.stop('SIGKILL')
    await ns?.remove()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it(`every tab seeks ${TARGET} WebRTC peers and keeps ${MIN}–${MAX}, one connection each, no relayed circuit once settled, and all follow one chain`, async function () {
    dir = await mkdtemp(join(tmpdir(), 'pp-tab-mesh-'))
    // Relay and browser run in a namespace of their own, on an interface with a default route:
    // without one (CI has loopback only) Chromium gathers no WebRTC candidates.
    const made = await makeNamespace()
    if (typeof made === 'string') skipStrongPath(this, `no network namespace here (${made})`)
    ns = made
    relay = await startRelayProcess(
      ['--data-dir', dir, ...ANY_PORTS, '--host', ns.address, '--allow-private', '--slot-ms', '1000'],
      {},
      ns.exec,
    )
    const relayId = relay.peerId
    browser = await chromium.launch({
      executablePath: await binaryIn(ns, CHROMIUM_PATH, dir),
      // Plain host candidates instead of mDNS names, which nothing in the namespace resolves:
      // without this, ICE got through only by peer-reflexive luck and some tabs stayed alone.
      args: [...CHROMIUM_ARGS, '--disable-features=WebRtcHideLocalIpsWithMdns'],
    })
    const context = await browser.newContext()
    const errors: string[] = []
    // The tabs join four at a time (twenty full nodes starting at once starve a 2-core machine).
    const open = async (i: number): Promise<Page> => {
      const page = await context.newPage()
      page.on('pageerror', (e) => errors.push(`tab ${i}: ${e.message}`))
      await page.goto(`${relay!.httpUrl}/status`)
      await page.addScriptTag({ url: `${relay!.httpUrl}/pp-node.min.js` })
      await page.evaluate(
        async ({ url, prefix }) => {
          const w = window as unknown as TabWindow
          // On the page, not in a worker: this test is about the mesh's bound, the same code either
          // way, and twenty nodes in workers (never throttled like a background page) on two cores
          // settled in 1 of 3 runs. Nodes in workers over WebRTC: worker-node.browser.spec.ts, demo.
          w.node = await w.PPNode.joinRelay({ relay: url, prefix, worker: false })
          await w.node.start()
        },
        { url: relay!.httpUrl, prefix: `pp-mesh-${i}-` },
      )
      return page
    }
    const pages: Page[] = []
    for (let i = 0; i < TABS; i += 4)
      pages.push(...(await Promise.all([i, i + 1, i + 2, i + 3].filter((n) => n < TABS).map(open))))
    const view = (page: Page): Promise<TabView> =>
      page.evaluate((relayPeer) => {
        const node = (window as unknown as TabWindow).node
        const peers = node.getPeers().filter((p) => p.id !== relayPeer)
        const webrtc = peers.filter((p) => p.transport === 'webrtc')
        const { index, hash } = node.getState().tip
        return {
          webrtcPeers: new Set(webrtc.map((p) => p.id)).size,
          webrtc: webrtc.length,
          circuits: peers.filter((p) => p.transport === 'circuit').length,
          tip: index,
          hash,
        }
      }, relayId)
    const started = Date.now()
    const timeline: string[] = []
    let views: TabView[] = []
    const settled = () =>
      views.every((v) => v.webrtcPeers >= MIN && v.webrtcPeers <= MAX && v.webrtc === v.webrtcPeers) &&
      views.every((v) => v.circuits === 0)
    await until(
      async () => {
        views = await Promise.all(pages.map(view))
        const degrees = views.map((v) => v.webrtcPeers)
        const line = `WebRTC peers per tab min ${Math.min(...degrees)} max ${Math.max(...degrees)}  duplicates ${views.reduce((n, v) => n + v.webrtc - v.webrtcPeers, 0)}  circuits ${views.reduce((n, v) => n + v.circuits, 0)}`
        // A line every 10 s or so, and the settled one.
        const seconds = (Date.now() - started) / 1000
        if (seconds >= 10 * timeline.length || settled())
          timeline.push(`${seconds.toFixed(0).padStart(4)} s  ${line}`)
        return settled()
      },
      () =>
        `a settled mesh; over time:\n${timeline.join('\n')}\nlast views: ${JSON.stringify(views.map(({ hash: _, ...v }) => v))}`,
      180_000,
    )
    console.log(`      mesh of ${TABS} tabs over time:\n${timeline.map((l) => `        ${l}`).join('\n')}`)
    console.log(`      WebRTC peers per tab once settled: ${views.map((v) => v.webrtcPeers).join(' ')}`)
    // Every tab follows the relay's chain: all at one tip, the relay's.
    await until(
      async () => {
        const status = (await (await fetch(`${relay!.httpUrl}/status`)).json()) as { tip: { hash: string } }
        views = await Promise.all(pages.map(view))
        return views.every((v) => v.hash === status.tip.hash && v.tip >= 3)
      },
      () => `all tabs on the relay's tip; tips ${views.map((v) => v.tip).join(',')}`,
      60_000,
    )
    // Still within bounds after blocks flowed over the mesh.
    for (const [i, v] of views.entries()) {
      expect(v.webrtcPeers, `tab ${i} WebRTC peers`).to.be.within(MIN, MAX)
      expect(v.webrtc, `tab ${i} one connection per peer`).to.equal(v.webrtcPeers)
    }
    expect(errors).to.deep.equal([])
  })
})
