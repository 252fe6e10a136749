// A web-test-runner plugin that runs a real Node relay node (full node + circuit relay) beside the
// browser tests, on a BFT chain of its own, and tells the tests its addresses and the chain.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodeCrypto } from '../../platform/node/crypto.ts'
import { startRelayNode } from '../../relay/relay-node.ts'
import { toHex } from '../../src/encoding/hash.ts'
import { genesisToJson } from '../../src/genesis.ts'
import { bftGenesis, testKeys } from './chain-fixtures.ts'

/** Starts the relay with the test server; tests ask `executeServerCommand('relay-info')` for it. */
export function relayPlugin() {
  let relay
  let dataDir
  let info
  return {
    name: 'pp-relay',
    async serverStart() {
      dataDir = mkdtempSync(join(tmpdir(), 'pp-wtr-relay-'))
      const keys = await testKeys(3, nodeCrypto, 'browser-net')
      // Three BFT producers in turn: the relay, then two browser tabs. Slots of 500 ms.
      const genesis = bftGenesis(
        keys,
        { chainId: 'pp-browser-test', slotMs: 500, genesisTime: Date.now(), k: 20 },
        3,
      )
      relay = await startRelayNode({
        dataDir,
        host: '127.0.0.1',
        allowPrivate: true,
        tcpPort: 0,
        wsPort: 0,
        httpPort: 0,
        bootstrapPeers: [],
        maxPeers: 200,
        staticDir: join(import.meta.dirname, '../../dist'),
        chain: { genesis, producer: { secret: keys[0].secret } },
      })
      info = {
        peerId: relay.node.network.libp2p.peerId.toString(),
        multiaddrs: relay.multiaddrs(),
        httpUrl: relay.httpUrl,
        genesis: genesisToJson(genesis),
        tabSecrets: [toHex(keys[1].secret), toHex(keys[2].secret)],
      }
    },
    async serverStop() {
      await relay?.stop()
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
    },
    executeCommand({ command }) {
      if (command === 'relay-info') return info
      if (command === 'relay-tip') return relay.node.getState().tip
      return undefined
    },
  }
}
