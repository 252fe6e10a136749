import type { PeerId } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { encodeCbor } from '../encoding/cbor.ts'
import { equalBytes } from '../encoding/hash.ts'
import { type Genesis, genesisHash } from '../genesis.ts'
import { type Block, decodeBlock } from '../ledger/block.ts'
import type { ChainStore } from '../ledger/chain-store.ts'
import { TimeSlice } from '../time-slice.ts'
import { WrongChainPeerError } from './errors.ts'
import {
  decodeBlocks,
  decodeLocated,
  decodeStatus,
  encodeGetBlocks,
  encodeLocate,
  MAX_BLOCKS_PER_REQUEST,
  MAX_BLOCKS_RESPONSE_BYTES,
  MAX_LOCATOR_HASHES,
  MAX_REQUEST_BYTES,
  type Status,
} from './messages.ts'
import type { ChainIntake } from './network-components.ts'
import { protocolId } from './protocol-id.ts'
import { sendRequest } from './request-response.ts'
import { SYNC_PROTOCOLS } from './sync-server.ts'

/** Hashes of the best chain at the tip, tip−1, tip−2, tip−4, … and genesis: finds a common ancestor in one round trip. */
export async function chainLocator(chain: ChainStore): Promise<Uint8Array[]> {
  const hashes: Uint8Array[] = []
  let step = 1
  for (let index = chain.tip.index; index > 0 && hashes.length < MAX_LOCATOR_HASHES - 1; index -= step) {
    hashes.push((await chain.hashAt(index))!)
    if (hashes.length > 2) step *= 2
  }
  hashes.push(genesisHash(chain.genesis))
  return hashes
}

/** Asks a peer for its status. */
export async function fetchStatus(
  libp2p: Libp2p,
  peer: PeerId,
  chainId: string,
  signal?: AbortSignal,
): Promise<Status> {
  const reply = await sendRequest(
    libp2p,
    peer,
    protocolId(chainId, SYNC_PROTOCOLS.status),
    encodeCbor(null),
    {
      maxResponseBytes: MAX_REQUEST_BYTES,
      ...(signal && { signal }),
    },
  )
  return decodeStatus(reply)
}

/**
 * Catching up from one peer: when the peer's chain is longer, find the common ancestor,
 * fetch the blocks after it in batches and hand each to the node, which validates it and switches
 * forks only by the chain-selection rule. Reports progress; returns how many blocks were added.
 */
export async function syncFromPeer(
  libp2p: Libp2p,
  node: { genesis: Genesis; chain: () => ChainStore; intake: ChainIntake },
  peer: PeerId,
  options: {
    signal?: AbortSignal
    onProgress?: (done: number, total: number) => void
    onStatus?: (status: Status) => void
  } = {},
): Promise<number> {
  const chainId = node.genesis.chainId
  const chain = node.chain()
  const status = await fetchStatus(libp2p, peer, chainId, options.signal)
  if (!equalBytes(status.genesis, genesisHash(node.genesis))) {
    throw new WrongChainPeerError(`peer ${peer} follows another chain (genesis differs)`)
  }
  options.onStatus?.(status)
  if (status.tip.index <= chain.tip.index) return 0
  const ask = (name: string, body: Uint8Array) =>
    sendRequest(libp2p, peer, protocolId(chainId, name), body, {
      maxResponseBytes: MAX_BLOCKS_RESPONSE_BYTES,
      ...(options.signal && { signal: options.signal }),
    })
  const ancestor = decodeLocated(await ask(SYNC_PROTOCOLS.locate, encodeLocate(await chainLocator(chain))))
  if (ancestor < 0) throw new WrongChainPeerError(`peer ${peer} shares no block with us`)
  const total = status.tip.index - ancestor
  const fetchBatch = async (from: number): Promise<Block[]> => {
    const encoded = decodeBlocks(
      await ask(SYNC_PROTOCOLS.blocks, encodeGetBlocks(from, MAX_BLOCKS_PER_REQUEST)),
    )
    // A response holds up to 100 full blocks: decoding them at once would hold a tab's thread for long.
    const slice = new TimeSlice()
    const blocks: Block[] = []
    for (const bytes of encoded) {
      blocks.push(decodeBlock(bytes))
      await slice.check()
    }
    blocks.forEach((block, i) => {
      if (block.header.index !== from + i) {
        throw new WrongChainPeerError(`peer ${peer} sent block ${block.header.index}, asked for ${from + i}`)
      }
    })
    return blocks
  }
  let added = 0
  let next = ancestor + 1
  // The next batch is fetched while the current one is validated and written.
  let pending = fetchBatch(next)
  while (next <= status.tip.index) {
    options.signal?.throwIfAborted()
    const batch = await pending
    if (batch.length === 0) break
    next += batch.length
    pending = next <= status.tip.index ? fetchBatch(next) : Promise.resolve([])
    pending.catch(() => {}) // a failure surfaces when awaited
    const outcome = await node.intake.receiveBlocks(batch, {
      from: peer.toString(),
      ...(options.signal && { signal: options.signal }),
    })
    if (outcome === 'added') added += batch.length
    options.onProgress?.(next - ancestor - 1, total)
  }
  return added
}
