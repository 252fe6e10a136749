import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import type { Libp2p } from 'libp2p'
import { libp2pNetwork, nodeTransports } from '../platform/node/network.ts'
import { parseGenesis } from '../src/genesis.ts'
import { createHost } from '../src/net/host.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { networkOf, waitFor } from './support/network-fixtures.ts'
import { ANY_PORTS, type RelayProcess, startRelayProcess } from './support/relay-process.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

describe('peer slots: idle connections cannot keep honest peers out of a full relay', function () {
  this.timeout(90_000)
  let dir: string
  let relay: RelayProcess | undefined
  let env: TestPlatform | undefined
  let honest: PPNode | undefined
  const idle: Libp2p[] = []

  after(async () => {
    await honest?.stop()
    for (const host of idle) await host.stop()
    await relay?.stop()
    await env?.dispose()
    await rm(dir, { recursive: true, force: true })
  })

  it('with --max-peers 3 held by idle hosts, an honest node joins, stays, syncs to the tip, and an idle host is shed instead', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pp-slots-'))
    relay = await startRelayProcess([
      ...ANY_PORTS,
      '--allow-private',
      '--slot-ms',
      '200',
      '--data-dir',
      dir,
      '--max-peers',
      '3',
    ])
    const relayAddr = relay.multiaddrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))!
    const relayId = relay.peerId
    // Three plain libp2p hosts take every slot and then do nothing at all.
    for (let i = 0; i < 3; i++) {
      const host = await createHost({
        transports: nodeTransports,
        settings: { listen: [], allowPrivateAddresses: true },
      })
      idle.push(host)
      await host.dial(multiaddr(relayAddr))
    }
    const idleConnected = () => idle.filter((h) => h.getConnections().some((c) => c.status === 'open')).length
    expect(idleConnected()).to.equal(3)

    const genesis = parseGenesis(JSON.parse(await readFile(join(dir, 'genesis.json'), 'utf8')))
    env = await testPlatform()
    honest = createNode(
      {
        genesis,
        network: {
          enableP2P: true,
          listenAddr: ['/ip4/127.0.0.1/tcp/0'],
          bootstrapPeers: [relayAddr],
          allowPrivateAddresses: true,
        },
      },
      env.platform,
      { network: libp2pNetwork() },
    )
    await honest.start()
    const libp2p = networkOf(honest).libp2p!
    let dropped = 0
    libp2p.addEventListener('peer:disconnect', (e) => {
      if (e.detail.toString() === relayId) dropped++
    })
    const relayTip = async () =>
      ((await (await fetch(`${relay!.httpUrl}/status`)).json()) as { tip: { index: number } }).tip.index
    const target = await relayTip()
    await waitFor(
      () => honest!.getState().tip.index >= Math.max(target, 1),
      () =>
        `the honest node to sync to the relay's tip ${target} (at ${honest!.getState().tip.index}, dropped ${dropped} times)`,
      15_000,
    )
    // Once the honest node's grace period ends the relay is over its bound: an idle host goes.
    await waitFor(() => idleConnected() < 3, 'the relay to shed an idle host', 30_000)
    expect(dropped, 'times the relay dropped the honest node').to.equal(0)
    expect(
      libp2p.getConnections().some((c) => c.remotePeer.toString() === relayId && c.status === 'open'),
    ).to.equal(true)
    // It keeps following the relay's chain.
    const later = await relayTip()
    await waitFor(
      () => honest!.getState().tip.index >= later,
      `the honest node at the relay's tip ${later}`,
      10_000,
    )
  })
})
