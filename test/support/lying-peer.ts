import type { Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { encodeCbor } from '../../src/encoding/cbor.ts'
import { type Genesis, genesisHash } from '../../src/genesis.ts'
import { type Block, bodyHash, decodeBlock, encodeBlock, STATE_ROOT_VERSION } from '../../src/ledger/block.ts'
import { encodeBlocks, encodeLocated, encodeNewBlock, encodeStatus } from '../../src/net/messages.ts'
import { protocolId } from '../../src/net/protocol-id.ts'
import { serveRequests } from '../../src/net/request-response.ts'
import { gossipHost, joinGossip } from './gossip-peer.ts'

/** How a lying peer answers `get_blocks`: never, a trickle of bytes, an empty batch, or "pruned below" the block asked. */
export type BlocksAnswer = 'stall' | 'trickle' | 'empty' | 'pruned'

/**
 * A libp2p peer speaking the sync protocols raw: it claims tip `claim` and answers blocks requests
 * as told, after answering the first one with `first` when given (real blocks, so a sync makes
 * progress); with `listen`, it takes connections on a TCP port of 127.0.0.1.
 */
export async function lyingPeer(
  genesis: Genesis,
  claim: number,
  blocks: BlocksAnswer,
  options: { first?: Block[]; listen?: boolean } = {},
) {
  const { first } = options
  const host = await gossipHost({ listen: options.listen })
  const asked = { status: 0, blocks: 0 }
  const common = {
    maxRequestBytes: 4096,
    maxResponseBytes: 1 << 20,
    timeoutMs: 10_000,
    log: logger('test:liar'),
  }
  const protocol = (name: string) => protocolId(genesis.chainId, name)
  const hash = new Uint8Array(32).fill(7)
  serveRequests(host, protocol('status'), {
    ...common,
    handler: async () => {
      asked.status++
      return encodeStatus({ genesis: genesisHash(genesis), tip: { index: claim, slot: claim, hash } })
    },
  })
  serveRequests(host, protocol('locate'), {
    ...common,
    handler: async () => encodeLocated(0),
  })
  const open: Stream[] = []
  await host.handle(protocol('blocks'), async (stream: Stream) => {
    asked.blocks++
    const lp = lpStream(stream)
    await lp.read()
    if (first !== undefined && asked.blocks === 1) {
      await lp.write(Uint8Array.of(0, ...encodeBlocks(first.map(encodeBlock))))
      await stream.close()
      return
    }
    if (blocks === 'pruned') {
      await lp.write(Uint8Array.of(2, ...encodeCbor(1)))
      await stream.close()
      return
    }
    if (blocks === 'empty') {
      await lp.write(Uint8Array.of(0, ...encodeBlocks([])))
      await stream.close()
      return
    }
    open.push(stream)
    if (blocks === 'stall') return
    // Announce a 1 MiB answer, then send a byte every 100 ms.
    stream.send(varint(1 << 20))
    const timer = setInterval(() => {
      if (stream.status !== 'open') clearInterval(timer)
      else stream.send(Uint8Array.of(0))
    }, 100)
  })
  const topic = `/pp/${genesis.chainId}/blocks/1`
  host.services.pubsub.subscribe(topic)
  return {
    host,
    asked,
    /** Dials `addr` and waits until the gossip mesh sees the other side. */
    async join(addr: string): Promise<void> {
      await joinGossip(host, addr, topic)
    },
    /** Announces an unsigned block at `slot` whose parent nobody has. */
    async announceOrphan(slot: number, issuer: Uint8Array): Promise<void> {
      const block = orphanBlock(slot, issuer, genesis.protocolVersion)
      const data = encodeNewBlock(block.header.index, slot, block.hash, encodeBlock(block))
      await host.services.pubsub.publish(topic, data).catch(() => {})
    },
    async stop(): Promise<void> {
      for (const stream of open) stream.abort(new Error('stopping'))
      await host.stop()
    },
  }
}

/** An unsigned block at `slot` on a random parent (with a random state root where its version has one). */
function orphanBlock(slot: number, issuer: Uint8Array, protocolVersion: number): Block {
  const header = {
    index: 1000 + Math.floor(Math.random() * 1000),
    slot,
    prevHash: crypto.getRandomValues(new Uint8Array(32)),
    bodyHash: bodyHash([]),
    issuer,
    vrfOutput: new Uint8Array(0),
    vrfProof: new Uint8Array(0),
    protocolVersion,
    ...(protocolVersion >= STATE_ROOT_VERSION && { stateRoot: crypto.getRandomValues(new Uint8Array(32)) }),
  }
  return decodeBlock(encodeBlock({ header, signature: new Uint8Array(64), txs: [] }))
}

function varint(n: number): Uint8Array {
  const out: number[] = []
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n & 0x7f) | 0x80)
  out.push(n)
  return Uint8Array.from(out)
}
