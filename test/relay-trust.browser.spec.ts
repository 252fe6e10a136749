// What a relay can no longer do to a tab: put it on another chain, or move its clock far enough
// to make it adopt blocks from the future (and later refuse the honest chain as too deep a fork).
import { executeServerCommand } from '@web/test-runner-commands'
import { expect } from 'chai'
import { joinRelay } from '../platform/browser/join-relay.ts'
import type { RelayClock } from '../platform/browser/relay-clock.ts'
import { toHex } from '../src/encoding/hash.ts'
import { genesisHash, parseGenesis } from '../src/genesis.ts'
import type { Libp2pNetwork } from '../src/net/chain-network.ts'
import type { PPNode } from '../src/node.ts'
import { errorCode } from './support/chain-fixtures.ts'
import { waitFor } from './support/network-fixtures.ts'
import { type RelayInfo, relayInfo } from './support/relay-info.ts'

/** How far ahead the lying relays claim their clock is (as measured in issue 28). */
const SKEW_MS = 200_001

/** Starts a lying relay in the test runner (see relay-plugin.js); its URL. */
async function lyingRelay(skewMs: number, otherGenesis = false): Promise<string> {
  const liar = await executeServerCommand<{ url: string }, { skewMs: number; otherGenesis: boolean }>(
    'lying-relay',
    { skewMs, otherGenesis },
  )
  if (liar === undefined) throw new Error('the test runner cannot start a lying relay')
  return liar.url
}

/** The `<script>` build's global, as far as these tests use it. */
interface ScriptBuild {
  joinRelay(options: Record<string, unknown>): Promise<{ stop(): Promise<void> }>
}

/** Loads the `<script>` build (pp-node.min.js) from the relay with `data-genesis-hash` on its tag. */
async function scriptBuild(info: RelayInfo, pinned: string): Promise<ScriptBuild> {
  const script = document.createElement('script')
  script.src = `${info.httpUrl}/pp-node.min.js`
  script.dataset.genesisHash = pinned
  await new Promise((resolve, reject) => {
    script.onload = resolve
    script.onerror = () => reject(new Error(`cannot load ${script.src}`))
    document.head.append(script)
  })
  script.remove()
  return (globalThis as unknown as { PPNode: ScriptBuild }).PPNode
}

/** How many slots the node's clock is ahead of this computer's, from its next slot event. */
async function slotsAhead(tab: PPNode, info: RelayInfo): Promise<number> {
  const { slot } = await new Promise<{ slot: number }>((resolve) =>
    tab.addEventListener('slot', (e) => resolve(e.detail), { once: true }),
  )
  return slot - Math.floor((Date.now() - info.genesis.genesisTime) / info.genesis.slotMs)
}

describe('a tab among lying relays', function () {
  this.timeout(60_000)
  const tabs: PPNode[] = []
  const prefix = `pp-trust-${crypto.randomUUID()}-`
  let n = 0
  const join = async (options: Parameters<typeof joinRelay>[0]) => {
    const tab = await joinRelay({ prefix: `${prefix}${n++}-`, ...options })
    tabs.push(tab)
    return tab
  }

  after(async () => {
    for (const tab of tabs) await tab.stop().catch(() => {})
    for (const db of await indexedDB.databases())
      if (db.name?.startsWith(prefix)) indexedDB.deleteDatabase(db.name)
  })

  it('pinned by genesis hash, leaves out a relay of another genesis and follows the honest one, uncharged', async () => {
    const info = await relayInfo()
    // The hash a page pins, as the relay's /status says it.
    const pinned = (await (await fetch(`${info.httpUrl}/status`)).json()).genesisHash as string
    expect(pinned).to.equal(toHex(genesisHash(parseGenesis(info.genesis))))
    // The liar answers first, with the chain id of the honest chain and the honest relay's addresses.
    const liar = await lyingRelay(0, true)
    const tab = await join({ relays: [liar, info.httpUrl], genesisHash: pinned })
    expect(toHex(genesisHash(tab.genesis))).to.equal(pinned)
    await tab.start()
    await waitFor(() => tab.getState().tip.index > 0, 'the tab to sync from the honest relay', 30_000)
    expect((tab.network as Libp2pNetwork).peerStanding(info.peerId)).to.deep.equal({
      score: 0,
      banned: false,
    })
  })

  it('pinned by genesis hash, refuses to join when no relay serves that chain', async () => {
    const info = await relayInfo()
    const pinned = toHex(genesisHash(parseGenesis(info.genesis)))
    const liar = await lyingRelay(0, true)
    expect(await errorCode(() => join({ relays: [liar], genesisHash: pinned }))).to.equal('GENESIS_MISMATCH')
  })

  it('pinned by the script tag (data-genesis-hash), its node in a worker refuses another chain and says its clock', async () => {
    const info = await relayInfo()
    const other = await scriptBuild(info, '00'.repeat(32))
    const prefix_ = `${prefix}${n++}-`
    expect(await errorCode(() => other.joinRelay({ relays: [info.httpUrl], prefix: prefix_ }))).to.equal(
      'GENESIS_MISMATCH',
    )
    const pinned = await scriptBuild(info, toHex(genesisHash(parseGenesis(info.genesis))))
    let clock: RelayClock | undefined
    const tab = await pinned.joinRelay({
      relays: [info.httpUrl, await lyingRelay(0, true)],
      prefix: prefix_,
      onClock: (c: RelayClock) => (clock = c),
    })
    await tab.stop()
    expect(clock).to.deep.include({ relays: 1, beyondBound: false })
  })

  it('with two relays, one lying about the time moves its clock by nothing (median)', async () => {
    const info = await relayInfo()
    const liar = await lyingRelay(SKEW_MS)
    let clock: RelayClock | undefined
    const tab = await join({ relays: [liar, info.httpUrl], onClock: (c) => (clock = c) })
    await tab.start()
    expect(await slotsAhead(tab, info)).to.be.within(-1, 1)
    expect(clock?.relays).to.equal(2)
    expect(Math.abs(clock?.offsetMs ?? Number.NaN)).to.be.below(250)
  })

  describe('joined through one relay that lies about the time', () => {
    let tab: PPNode
    let clock: RelayClock | undefined
    let info: RelayInfo

    before(async () => {
      info = await relayInfo()
      tab = await join({ relays: [await lyingRelay(SKEW_MS)], onClock: (c) => (clock = c) })
      await tab.start()
    })

    it('moves its clock by the bound (3 slots) at most, and says the measured offset is beyond it', async () => {
      expect(await slotsAhead(tab, info)).to.be.within(2, 4)
      const bound = 3 * info.genesis.slotMs
      expect(clock).to.deep.include({ offsetMs: bound, maxOffsetMs: bound, relays: 1, beyondBound: true })
      expect(clock?.measuredMs).to.be.within(SKEW_MS - 250, SKEW_MS + 250)
    })

    it('refuses a block for a slot beyond its own clock plus the bound and the skew allowed', async () => {
      await waitFor(() => tab.getState().tip.index > 0, 'the tab to sync from the honest relay', 30_000)
      const outcome = new Map<string, string>()
      tab.addEventListener('block:added', (e) => outcome.set(toHex(e.detail.block.hash), 'adopted'))
      tab.addEventListener('block:rejected', (e) => {
        if (e.detail.hash) outcome.set(e.detail.hash, e.detail.error.code ?? 'rejected')
      })
      // Right after the tab took the relay's newest block, the relay gossips one 60 slots (30 s) ahead on it.
      const tip = tab.getState().tip.index
      await waitFor(() => tab.getState().tip.index > tip, 'a new relay block', 30_000)
      const future = await executeServerCommand<{ hash: string; slot: number }, { slotsAhead: number }>(
        'future-block',
        { slotsAhead: 60 },
      )
      await waitFor(() => outcome.has(future!.hash), 'the tab to take or refuse the future block', 20_000)
      expect(outcome.get(future!.hash)).to.equal('FUTURE_SLOT')
    })
  })
})
