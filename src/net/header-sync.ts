import type { PeerId } from '@libp2p/interface'
import type { HeaderChain } from '../consensus/header-chain.ts'
import { DecodeError } from '../errors.ts'
import { decodeEpochStake, type EpochStake, MAX_EPOCH_STAKE_BYTES } from '../ledger/epoch-stake.ts'
import { ValidationError } from '../ledger/errors.ts'
import type { ChainTip } from '../ledger/ledger-state.ts'
import { decodeSignedHeader } from '../ledger/signed-header.ts'
import type { Checkpoint } from '../ledger/snapshot.ts'
import { fetchStatus } from './chain-sync.ts'
import { SnapshotUnavailableError } from './errors.ts'
import type { SnapshotSyncHooks } from './join-hooks.ts'
import {
  decodeHeaders,
  encodeGetHeaders,
  encodeGetStake,
  MAX_HEADERS_PER_REQUEST,
  MAX_HEADERS_RESPONSE_BYTES,
} from './messages.ts'
import { pause } from './pause.ts'
import { isDirect } from './peer-mesh.ts'
import { protocolId } from './protocol-id.ts'
import { sendRequest } from './request-response.ts'
import { SYNC_PROTOCOLS } from './sync-server.ts'

/** How long one headers or stake request may take. */
const REQUEST_TIMEOUT_MS = 20_000
/** How often connected peers are asked again while none has a chain long enough. */
const RETRY_MS = 500

/** A peer has no stake record for an epoch's end (not settled there yet): its chain is checked up to there. */
class StakeUnavailable extends Error {}

/**
 * A checkpoint found by checking the header chain from genesis (see HeaderChain): headers from
 * the connected peer with the highest tip, a batch at a time, and each epoch's stake record. A
 * peer whose headers or records do not check out is charged and dropped, and the next one is
 * checked from genesis. Returns the highest snapshot point at least k below the peer's tip on the
 * checked chain, or undefined when the best chain around is too young to have one. Throws
 * SnapshotUnavailableError when no peer served a chain that checks out within `deadlineMs`. Checking a long chain takes as long as it
 * takes (each request has its own timeout): the deadline bounds the wait for a peer that serves one.
 */
export async function headerCheckpoint(
  hooks: SnapshotSyncHooks,
  deadlineMs: number,
): Promise<Checkpoint | undefined> {
  const { signal } = hooks
  const deadline = Date.now() + deadlineMs
  const liars = new Set<string>()
  const { genesis } = hooks.components
  for (;;) {
    const tips = await peerTips(hooks, liars, signal)
    for (const { peer, tip } of tips) {
      const chain = hooks.components.intake.newHeaderChain()
      // The best chain around has no settled snapshot point yet: syncing it whole is quick.
      if (tip - genesis.k < chain.pointEvery) return undefined
      try {
        await checkHeaders(hooks, chain, peer, tip, signal)
      } catch (err) {
        if (signal.aborted) throw err
        if (!(err instanceof DecodeError || err instanceof ValidationError)) {
          hooks.log('headers from %s: %s', peer, (err as Error).message)
          continue
        }
        liars.add(peer.toString())
        hooks.penalise(peer.toString(), `headers: ${err.message}`)
        hooks.log('headers from %s refused: %s', peer, err.message)
        continue
      }
      const point = chain.checkpoint(tip - genesis.k)
      hooks.log('checked %d headers from %s; checkpoint %s', chain.tip.index, peer, point?.index ?? 'none')
      if (point !== undefined) return point
    }
    if (Date.now() > deadline)
      throw new SnapshotUnavailableError('no peer served a header chain that checks out in time')
    await pause(RETRY_MS, signal)
    signal.throwIfAborted()
  }
}

/** Connected peers not known to lie, with the tip each reports, highest first. */
async function peerTips(
  hooks: SnapshotSyncHooks,
  liars: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<Array<{ peer: PeerId; tip: number }>> {
  const peers = new Map<string, PeerId>()
  for (const c of hooks.libp2p.getConnections().filter(isDirect))
    if (!liars.has(c.remotePeer.toString())) peers.set(c.remotePeer.toString(), c.remotePeer)
  const tips = await Promise.all(
    [...peers.values()].map(async (peer) => {
      try {
        const status = await fetchStatus(hooks.libp2p, peer, hooks.components.genesis.chainId, signal)
        return { peer, tip: status.tip.index }
      } catch {
        return undefined
      }
    }),
  )
  return tips.filter((t) => t !== undefined).sort((a, b) => b.tip - a.tip)
}

/** Checks `peer`'s headers up to `tip`, or until it has no stake record for an epoch crossed (not settled there yet). */
async function checkHeaders(
  hooks: SnapshotSyncHooks,
  chain: HeaderChain,
  peer: PeerId,
  tip: number,
  signal: AbortSignal,
): Promise<void> {
  const ask = (protocol: string, request: Uint8Array, maxResponseBytes: number) =>
    sendRequest(hooks.libp2p, peer, protocolId(hooks.components.genesis.chainId, protocol), request, {
      maxResponseBytes,
      signal,
      timeoutMs: REQUEST_TIMEOUT_MS,
    })
  const stakeAfter = async (block: ChainTip): Promise<EpochStake> => {
    let bytes: Uint8Array
    try {
      bytes = await ask(SYNC_PROTOCOLS.stake, encodeGetStake(block.hash), MAX_EPOCH_STAKE_BYTES)
    } catch (err) {
      throw new StakeUnavailable((err as Error).message)
    }
    return decodeEpochStake(bytes)
  }
  while (chain.tip.index < tip) {
    const count = Math.min(MAX_HEADERS_PER_REQUEST, tip - chain.tip.index)
    const reply = await ask(
      SYNC_PROTOCOLS.headers,
      encodeGetHeaders(chain.tip.index + 1, count),
      MAX_HEADERS_RESPONSE_BYTES,
    )
    const headers = decodeHeaders(reply).map(decodeSignedHeader)
    if (headers.length === 0) return
    try {
      await chain.extend(headers, stakeAfter, hooks.components.intake.latestSlot())
    } catch (err) {
      if (err instanceof StakeUnavailable) return
      throw err
    }
    hooks.onHeaders?.(chain.tip.index, tip)
  }
}
