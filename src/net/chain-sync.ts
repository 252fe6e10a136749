import type { PeerId } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { encodeCbor } from '../encoding/cbor.ts'
import { equalBytes } from '../encoding/hash.ts'
import { HistoryPrunedError } from '../errors.ts'
import { type Genesis, genesisHash } from '../genesis.ts'
import type { Block } from '../ledger/block.ts'
import type { ChainStore } from '../ledger/chain-store.ts'
import { UnbackedTipError, WrongChainPeerError } from './errors.ts'
import {
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
import { decodeRun, receiveRuns } from './receive-runs.ts'
import { type MinRate, sendRequest } from './request-response.ts'
import { SYNC_PROTOCOLS } from './sync-server.ts'

/** Deadline of a status or locate answer (a few hundred bytes). */
const SMALL_ANSWER_MS = 5_000
/** Deadline of a blocks answer (about 1 MiB, at most 16 MiB). */
const BLOCKS_ANSWER_MS = 20_000
/** Rate below which a blocks answer is cut off: a trickling peer cannot hold a sync slot until the deadline. */
const BLOCKS_MIN_RATE: MinRate = { graceMs: 5_000, bytesPerSecond: 64 * 1024 }

/** Hashes of the best chain at the tip, tip−1, tip−2, tip−4, … and genesis: finds a common ancestor in one round trip. */
export async function chainLocator(chain: ChainStore): Promise<Uint8Array[]> {
  const hashes: Uint8Array[] = []
  let step = 1
  for (let index = chain.tip.index; index > 0 && hashes.length < MAX_LOCATOR_HASHES - 1; index -= step) {
    const hash = await chain.hashAt(index)
    if (hash === undefined) break // pruned history: genesis closes the locator
    hashes.push(hash)
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
      timeoutMs: SMALL_ANSWER_MS,
      ...(signal && { signal }),
    },
  )
  return decodeStatus(reply)
}

/**
 * Catching up from one peer: when the peer's chain is longer, find the common ancestor,
 * fetch the blocks after it in batches and hand each to the node, which validates it and switches
 * forks only by the chain-selection rule. Reports progress; returns how many blocks were added.
 * Every answer has a deadline (blocks also a minimum rate); a peer that claims a longer chain and
 * answers a batch with no block throws UnbackedTipError.
 */
export async function syncFromPeer(
  libp2p: Libp2p,
  node: { genesis: Genesis; chain: () => ChainStore; intake: ChainIntake },
  peer: PeerId,
  options: {
    signal?: AbortSignal
    onProgress?: (done: number, total: number) => void
    onStatus?: (status: Status) => void
    /** A batch arrived (not yet validated): its blocks and bytes. */
    onBatch?: (blocks: number, bytes: number) => void
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
  const ask = (name: string, body: Uint8Array, limits: { timeoutMs: number; minRate?: MinRate }) =>
    sendRequest(libp2p, peer, protocolId(chainId, name), body, {
      maxResponseBytes: MAX_BLOCKS_RESPONSE_BYTES,
      ...limits,
      ...(options.signal && { signal: options.signal }),
    })
  const locator = encodeLocate(await chainLocator(chain))
  const ancestor = decodeLocated(await ask(SYNC_PROTOCOLS.locate, locator, { timeoutMs: SMALL_ANSWER_MS }))
  if (ancestor < 0) throw new WrongChainPeerError(`peer ${peer} shares no block with us`)
  const total = status.tip.index - ancestor
  const fetchBatch = async (from: number): Promise<Block[]> => {
    const response = await ask(SYNC_PROTOCOLS.blocks, encodeGetBlocks(from, MAX_BLOCKS_PER_REQUEST), {
      timeoutMs: BLOCKS_ANSWER_MS,
      minRate: BLOCKS_MIN_RATE,
    }).catch((err: Error) => {
      // "Pruned below h" for blocks from h or above contradicts itself: a lie to refuse for free.
      if (err instanceof HistoryPrunedError && err.horizon <= from)
        throw new WrongChainPeerError(`peer ${peer} refused block ${from} as pruned below ${err.horizon}`)
      throw err
    })
    const blocks = await decodeRun(response)
    options.onBatch?.(blocks.length, response.length)
    blocks.forEach((block, i) => {
      if (block.header.index !== from + i) {
        throw new WrongChainPeerError(`peer ${peer} sent block ${block.header.index}, asked for ${from + i}`)
      }
    })
    return blocks
  }
  async function* batches(): AsyncGenerator<Block[]> {
    for (let next = ancestor + 1; next <= status.tip.index; ) {
      options.signal?.throwIfAborted()
      const batch = await fetchBatch(next)
      if (batch.length === 0)
        throw new UnbackedTipError(`peer ${peer} claimed tip ${status.tip.index} but has no block ${next}`)
      next += batch.length
      yield batch
    }
  }
  return receiveRuns(node.intake, batches(), {
    from: peer.toString(),
    ...(options.signal && { signal: options.signal }),
    onRun: (run) => options.onProgress?.(run[run.length - 1].header.index - ancestor, total),
  })
}
