import { expect } from 'chai'
import { libp2pNetwork } from '../platform/node/network.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import type { NetworkFactory } from '../src/net/network-components.ts'
import { createNode, type PPNode } from '../src/node.ts'
import { bftGenesis, testKeys } from './support/chain-fixtures.ts'
import { drivenPlatform, driveSlots } from './support/node-fixtures.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

/** The real libp2p network, whose stop() throws once after it has stopped (a transport failing to close). */
function failingStopNetwork(): NetworkFactory {
  const real = libp2pNetwork()
  let failures = 1
  return (components) => {
    const network = real(components)
    const stop = network.stop.bind(network)
    network.stop = async () => {
      await stop()
      if (failures-- > 0) throw new Error('transport failed to close')
    }
    return network
  }
}

describe('node.stop() when the network fails to stop (real libp2p, real LevelDB)', function () {
  this.timeout(60_000)
  let env: TestPlatform
  let node: PPNode | undefined

  beforeEach(async () => {
    env = await testPlatform()
  })

  afterEach(async () => {
    await node?.stop().catch(() => {})
    node = undefined
    await env.dispose()
  })

  it('releases the store and the slot loop, reports the error once, and the node starts and produces again', async () => {
    const keys = await testKeys(2, env.platform.crypto)
    const genesis = bftGenesis(keys)
    const { platform, clock } = drivenPlatform(env.platform, genesis)
    node = createNode(
      {
        genesis,
        producer: { secret: keys[0].secret },
        network: { enableP2P: true, listenAddr: ['/ip4/127.0.0.1/tcp/0'], allowPrivateAddresses: true },
      },
      platform,
      { network: failingStopNetwork() },
    )
    await node.start()
    expect(await driveSlots(node, clock, genesis, 1, 2)).to.equal(2)
    const tip = node.getState().tip.index
    let stopError: unknown
    await node.stop().catch((err: unknown) => {
      stopError = err
    })
    expect((stopError as Error | undefined)?.message).to.equal('transport failed to close')
    expect(node.running, 'running after stop').to.equal(false)
    // A later stop has nothing left to release.
    await node.stop()
    // The LevelDB store was closed: another opener gets its lock.
    const store = await platform.openStore(node.config.storeName)
    const reopened = await ChainStore.open(store, genesis)
    expect(reopened.tip.index).to.equal(tip)
    await reopened.close()
    // The node starts again, network and slot loop included, and keeps producing on its chain.
    await node.start()
    expect(node.running).to.equal(true)
    expect(node.getPeers()).to.be.an('array')
    expect(await driveSlots(node, clock, genesis, 3, 4)).to.equal(2)
    expect(node.getState().tip.index).to.equal(tip + 2)
    await node.stop()
    expect(node.running).to.equal(false)
  })
})
