import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gossipsub } from '@libp2p/gossipsub'
import { type TCPSocketOptions, tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { nodeCrypto } from '../platform/node/crypto.ts'
import { nodeTransports } from '../platform/node/network.ts'
import { hash, toHex } from '../src/encoding/hash.ts'
import { genesisToJson } from '../src/genesis.ts'
import { encodeBlock } from '../src/ledger/block.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { encodeTransaction } from '../src/ledger/transaction.ts'
import { createHost, type Libp2pTransports } from '../src/net/host.ts'
import { encodeGetBlocks, encodeLocate, encodeNewBlock, encodeNewTx } from '../src/net/messages.ts'
import { protocolId } from '../src/net/protocol-id.ts'
import { sendRequest } from '../src/net/request-response.ts'
import { bftGenesis, nextBlock, testKeys, transfer } from './support/chain-fixtures.ts'
import { waitFor } from './support/network-fixtures.ts'
import { ANY_PORTS, type RelayProcess, startRelayProcess } from './support/relay-process.ts'

const ATTACKERS = 50
const SECONDS = 30
const SLOT_MS = 250

/** TCP dialling from a chosen loopback address, so the relay sees attackers on other networks. */
const fromAddress =
  (localAddress: string): Libp2pTransports =>
  () => ({
    // net.connect's localAddress (not in @libp2p/tcp's option type, passed through to it).
    transports: [tcp({ dialOpts: { localAddress } as TCPSocketOptions })],
    connectionGater: { denyDialMultiaddr: () => false },
  })

describe('load: 50 attacking peers with fresh ids flood a producing relay for 30 s', function () {
  this.timeout(180_000)
  let dir: string
  let relay: RelayProcess | undefined
  const hosts: Array<{ stop(): Promise<void> | void }> = []

  after(async () => {
    await Promise.all(hosts.map((h) => Promise.resolve(h.stop()).catch(() => {})))
    await relay?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps its slots, bounded memory and its honest peer; the attackers end up refused', async () => {
    const keys = await testKeys(2, nodeCrypto, 'load')
    const genesis = bftGenesis(keys, { genesisTime: Date.now(), slotMs: SLOT_MS, k: 10 }, 1)
    dir = await mkdtemp(join(tmpdir(), 'pp-load-'))
    await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesisToJson(genesis)))
    await writeFile(join(dir, 'key.json'), JSON.stringify({ secret: toHex(keys[0].secret) }))
    // No --allow-private: loopback peers are scored and limited per network like public ones.
    relay = await startRelayProcess([
      ...['--data-dir', join(dir, 'data'), '--genesis', join(dir, 'genesis.json')],
      ...['--producer-key', join(dir, 'key.json'), ...ANY_PORTS],
    ])
    const target = multiaddr(relay.multiaddrs.find((a) => !a.includes('/ws'))!)
    const metric = async (name: string) =>
      Number(
        new RegExp(`^${name} (\\d+)`, 'm').exec(await (await fetch(`${relay!.httpUrl}/metrics`)).text())?.[1],
      )
    const topics = { blocks: `/pp/${genesis.chainId}/blocks/1`, txs: `/pp/${genesis.chainId}/txs/1` }

    // The honest peer, on 127.0.0.1: follows the blocks the whole time.
    const honest = await createHost({
      transports: nodeTransports,
      settings: { listen: [], allowPrivateAddresses: true },
      services: { pubsub: gossipsub() },
    })
    hosts.push(honest)
    let honestBlocks = 0
    honest.services.pubsub.addEventListener('message', () => honestBlocks++)
    await honest.dial(target)
    honest.services.pubsub.subscribe(topics.blocks)
    await waitFor(() => honestBlocks > 2, 'the honest peer to receive blocks')

    // Junk the attackers send: blocks signed by a key that leads no slot, transactions with bad signatures.
    const state = genesisState(genesis)
    const junkBlocks = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const b = await nextBlock(state, [], keys[1], nodeCrypto, i + 1)
        return encodeNewBlock(b.header.index, b.header.slot, b.hash, encodeBlock(b))
      }),
    )
    const tx = await transfer(keys[1], keys[0].address, 1n, 0, nodeCrypto)
    const junkTx = encodeNewTx(encodeTransaction({ ...tx, signature: new Uint8Array(64).fill(7) }))
    const locate = encodeLocate(Array.from({ length: 64 }, (_, i) => hash(Uint8Array.of(i))))
    const heapBefore = await metric('process_resident_memory_bytes')
    const producedBefore = await metric('pp_blocks_produced_total')
    const slotBefore = await metric('pp_slot')

    let connected = 0
    let refused = 0
    const deadline = Date.now() + SECONDS * 1000
    // Each attacker slot: a fresh id from one of three loopback /24 networks; when cut off, another fresh id.
    const attacker = async (i: number): Promise<void> => {
      const localAddress = `127.0.${1 + (i % 3)}.${2 + i}`
      while (Date.now() < deadline) {
        const host = await createHost({
          transports: fromAddress(localAddress),
          settings: { listen: [], allowPrivateAddresses: true },
          services: { pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) },
        })
        hosts.push(host)
        try {
          await host.dial(target, { signal: AbortSignal.timeout(5_000) })
          connected++
        } catch {
          refused++
          await host.stop()
          await new Promise((r) => setTimeout(r, 500))
          continue
        }
        host.services.pubsub.subscribe(topics.blocks)
        host.services.pubsub.subscribe(topics.txs)
        for (let n = 0; Date.now() < deadline && host.getConnections().length > 0; n++) {
          await host.services.pubsub.publish(topics.blocks, junkBlocks[n % junkBlocks.length]).catch(() => {})
          await host.services.pubsub.publish(topics.txs, junkTx).catch(() => {})
          const ask = (name: string, body: Uint8Array) =>
            sendRequest(host, target, protocolId(genesis.chainId, name), body, {
              maxResponseBytes: 1 << 24,
              timeoutMs: 2_000,
            }).catch(() => undefined)
          await Promise.all([ask('locate', locate), ask('blocks', encodeGetBlocks(1, 100))])
          await new Promise((r) => setTimeout(r, 200))
        }
        await host.stop()
      }
    }
    await Promise.all(Array.from({ length: ATTACKERS }, (_, i) => attacker(i)))

    const slots = (await metric('pp_slot')) - slotBefore
    const produced = (await metric('pp_blocks_produced_total')) - producedBefore
    const missed = slots - produced
    const grown = ((await metric('process_resident_memory_bytes')) - heapBefore) / 2 ** 20
    const summary = { slots, produced, missed, grownMiB: grown.toFixed(1), connected, refused, honestBlocks }
    console.log(`      load: ${JSON.stringify(summary)}`)
    expect(missed / slots, JSON.stringify(summary)).to.be.below(0.01)
    expect(grown, JSON.stringify(summary)).to.be.below(256)
    // The honest peer is still connected and still receiving blocks.
    const before = honestBlocks
    await waitFor(() => honestBlocks > before + 2, 'the honest peer to keep receiving blocks')
    expect(honest.getConnections().length).to.be.greaterThan(0)
    // The attackers' networks end up refused: the last fresh ids could not even connect.
    expect(refused, JSON.stringify(summary)).to.be.greaterThan(connected)
    const late = await createHost({
      transports: fromAddress('127.0.1.200'),
      settings: { listen: [], allowPrivateAddresses: true },
    })
    hosts.push(late)
    const lateDial = await late.dial(target, { signal: AbortSignal.timeout(5_000) }).then(
      () => 'connected',
      () => 'refused',
    )
    expect(lateDial).to.equal('refused')
  })
})
