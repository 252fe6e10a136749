import { expect } from 'chai'
import { browserPlatform } from '../platform/browser/index.ts'
import { libp2pNetwork } from '../platform/browser/network.ts'
import { measureClockOffset } from '../platform/browser/relay-api.ts'
import { offsetClock } from '../src/clock/offset-clock.ts'
import type { Libp2pNetwork } from '../src/net/chain-network.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { waitFor } from './support/network-fixtures.ts'
import { relayInfo, relayWebSocketAddr } from './support/relay-info.ts'

describe('a tab whose clock is two slots behind', function () {
  this.timeout(120_000)
  let tab: PPNode | undefined
  const prefix = `pp-skew-${crypto.randomUUID()}-`

  after(async () => {
    await tab?.stop()
    for (const db of await indexedDB.databases())
      if (db.name?.startsWith(prefix)) indexedDB.deleteDatabase(db.name)
  })

  it('measures its offset from the relay', async () => {
    const info = await relayInfo()
    // This tab's clock is right, so the measured offset is within the round trip.
    expect(Math.abs(await measureClockOffset(info.httpUrl))).to.be.below(250)
  })

  it('holds the relay’s blocks until its own clock reaches them: it follows the chain and bans nobody', async () => {
    const info = await relayInfo()
    const slotMs = info.genesis.slotMs
    const local = await browserPlatform({ prefix })
    // The system clock of this "computer" runs two slots late; the node is not told.
    const platform = { ...local, clock: offsetClock(local.clock, -2 * slotMs) }
    tab = createNode(
      {
        genesis: info.genesis,
        network: {
          enableP2P: true,
          bootstrapPeers: [await relayWebSocketAddr()],
          allowPrivateAddresses: true,
        },
      },
      platform,
      { network: libp2pNetwork() },
    )
    const rejected: string[] = []
    tab.addEventListener('block:rejected', (e) =>
      rejected.push(`${e.detail.error.code}: ${e.detail.error.message}`),
    )
    await tab.start()
    const relayTip = async () => (await (await fetch(`${info.httpUrl}/status`)).json()).tip.index as number
    await waitFor(() => tab!.getState().tip.index > 0, 'the tab to sync', 60_000)
    const start = tab.getState().tip.index
    // Several new relay blocks, each two slots "in the future" for this tab when it arrives.
    await waitFor(() => tab!.getState().tip.index >= start + 5, 'five new blocks followed', 60_000)
    expect((await relayTip()) - tab.getState().tip.index).to.be.at.most(2)
    expect(rejected).to.deep.equal([])
    const network = tab.network as Libp2pNetwork
    expect(network.peerStanding(info.peerId)).to.deep.equal({ score: 0, banned: false })
    expect(tab.getPeers().map((p) => p.id)).to.include(info.peerId)
  })
})
