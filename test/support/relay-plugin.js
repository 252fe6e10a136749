// A web-test-runner plugin that runs a real Node relay node (full node + circuit relay) beside the
// browser tests, on a BFT chain of its own, and tells the tests its addresses and the chain.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nodeCrypto } from '../../platform/node/crypto.ts'
import { startRelayNode } from '../../relay/relay-node.ts'
import { hash, toHex } from '../../src/encoding/hash.ts'
import { genesisToJson } from '../../src/genesis.ts'
import { addressOf } from '../../src/ledger/address.ts'
import { bftGenesis, nextBlock, testKeys } from './chain-fixtures.ts'

/**
 * A lying relay: an HTTP API on 127.0.0.1 whose /status reports its time `skewMs` ahead and whose
 * /genesis is `genesis`; its /bootstrap names the honest relay's multiaddrs. Resolves to it, listening.
 */
async function startLyingRelay(genesis, multiaddrs, skewMs) {
  const server = createServer((req, res) => {
    const body = {
      '/genesis': genesis,
      '/bootstrap': { multiaddrs },
      '/status': { time: Date.now() + skewMs },
    }[req.url]
    res.writeHead(body === undefined ? 404 : 200, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
    })
    res.end(JSON.stringify(body ?? { error: 'not found' }))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

/**
 * A second relay on a chain of protocol version 2 (200 ms slots, each with a block; a snapshot point every
 * 100 blocks, 20 s, so a point stays served for 20–40 s), started on ask (its first snapshot point is settled some
 * 21 s later: tabs wait for GET /checkpoint to name it) and joined from a checkpoint. Stopped by 'snapshot-relay-stop', so that it does not load the runner for later tests.
 */
async function startSnapshotRelay(dataDir) {
  const [key] = await testKeys(1, nodeCrypto, 'browser-snapshot')
  const balances = { [key.address]: '1000000000' }
  for (let i = 0; i < 500; i++) balances[addressOf(hash(Uint8Array.of(7, i >> 8, i & 255)))] = '3'
  const genesis = bftGenesis(
    [key],
    {
      chainId: 'pp-browser-snapshot',
      slotMs: 200,
      genesisTime: Date.now(),
      k: 5,
      protocolVersion: 2,
      balances,
    },
    1,
  )
  const relay = await startRelayNode({
    dataDir,
    host: '127.0.0.1',
    allowPrivate: true,
    tcpPort: 0,
    wsPort: 0,
    httpPort: 0,
    bootstrapPeers: [],
    maxPeers: 200,
    staticDir: join(import.meta.dirname, '../../dist'),
    chain: { genesis, producer: { secret: key.secret } },
  })
  return relay
}

/** Starts the relay with the test server; tests ask `executeServerCommand('relay-info')` for it. */
export function relayPlugin() {
  let relay
  let dataDir
  let info
  let keys
  let snapshotRelay
  const liars = []
  return {
    name: 'pp-relay',
    async serverStart() {
      dataDir = mkdtempSync(join(tmpdir(), 'pp-wtr-relay-'))
      keys = await testKeys(3, nodeCrypto, 'browser-net')
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
      for (const liar of liars) liar.close()
      await snapshotRelay?.stop()
      await relay?.stop()
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
    },
    async executeCommand({ command, payload }) {
      if (command === 'relay-info') return info
      if (command === 'relay-tip') return relay.node.getState().tip
      // The fast relay of protocol version 2 (see startSnapshotRelay): its URL.
      if (command === 'snapshot-relay') {
        snapshotRelay ??= await startSnapshotRelay(join(dataDir, 'snapshot-relay'))
        return { httpUrl: snapshotRelay.httpUrl }
      }
      if (command === 'snapshot-relay-stop') {
        await snapshotRelay?.stop()
        snapshotRelay = undefined
        return true
      }
      // payload { skewMs, otherGenesis }: a lying relay (see startLyingRelay); its URL.
      if (command === 'lying-relay') {
        const genesis = payload.otherGenesis
          ? { ...info.genesis, genesisTime: info.genesis.genesisTime + 1 } // same chainId, other hash
          : info.genesis
        const liar = await startLyingRelay(genesis, info.multiaddrs, payload.skewMs)
        liars.push(liar)
        return { url: `http://127.0.0.1:${liar.address().port}` }
      }
      // payload { slotsAhead }: the relay gossips a valid block on its tip for a slot that far ahead
      // of now, signed by that slot's leader (without taking it itself); its hash and slot.
      if (command === 'future-block') {
        const { genesis } = relay.node
        const slot = Math.floor((Date.now() - genesis.genesisTime) / genesis.slotMs) + payload.slotsAhead
        const block = await nextBlock(relay.node.chainStore.state, [], keys[slot % 3], nodeCrypto, slot)
        relay.node.network.broadcastBlock(block)
        return { hash: toHex(block.hash), slot, index: block.header.index }
      }
      return undefined
    },
  }
}
