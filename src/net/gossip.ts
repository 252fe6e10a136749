import { type GossipSub, TopicValidatorResult } from '@libp2p/gossipsub'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { TooManyVariantsError } from '../consensus/errors.ts'
import { equalBytes, toHex } from '../encoding/hash.ts'
import { DecodeError, MempoolFullError } from '../errors.ts'
import { type Block, decodeBlock, encodeBlock } from '../ledger/block.ts'
import { DuplicateTxError, ForkTooDeepError, UnknownParentError, ValidationError } from '../ledger/errors.ts'
import { decodeTransaction, encodeTransaction, type Transaction } from '../ledger/transaction.ts'
import { decodeNewBlock, decodeNewTx, encodeNewBlock, encodeNewTx } from './messages.ts'
import type { ChainIntake } from './network-components.ts'

/** Gossip topics of a chain: one for blocks, one for transactions. */
export function gossipTopics(chainId: string): { blocks: string; txs: string } {
  return { blocks: `/pp/${chainId}/blocks/1`, txs: `/pp/${chainId}/txs/1` }
}

/** What the gossip layer needs from the rest of the network. */
export interface GossipHooks {
  /** A peer sent something invalid: score it down. */
  penalise(peer: PeerId, reason: string): void
  /** A peer sent something that was not wrong but cost work (it no longer applies): charge it past an allowance. */
  chargeWaste(peer: PeerId, reason: string): void
  /** A peer announced a block whose ancestors we lack: sync from it (an allowance of these is free). */
  fetchAncestors(peer: PeerId, block: Block): void
  /** Injected latency and loss (simulator). */
  conditions?: { latencyMs?: () => number; drop?: () => boolean }
}

/** Applies injected latency and loss; true when the message is to be dropped. */
async function impaired(hooks: GossipHooks): Promise<boolean> {
  const delay = hooks.conditions?.latencyMs?.() ?? 0
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
  return hooks.conditions?.drop?.() ?? false
}

// Transactions that may be fine elsewhere (ordering races, a full pool) are ignored, not punished.
const BENIGN_TX_CODES = new Set(['BAD_NONCE', 'INSUFFICIENT_BALANCE', 'UNKNOWN_SENDER'])

/**
 * Subscribes to the chain's topics with validators that decide what is relayed: a block
 * or transaction the node accepts is forwarded (Accept), a duplicate or not-yet-connectable one is
 * dropped quietly (Ignore), an invalid one is dropped and its sender penalised (Reject).
 */
export function startGossip(
  pubsub: GossipSub,
  chainId: string,
  node: ChainIntake,
  hooks: GossipHooks,
): () => void {
  const topics = gossipTopics(chainId)
  const excessVariants = new ExcessVariants()
  pubsub.topicValidators.set(topics.blocks, async (peer, message) => {
    if (await impaired(hooks)) return TopicValidatorResult.Ignore
    let block: Block
    try {
      const announced = decodeNewBlock(message.data)
      block = decodeBlock(announced.block)
      const h = block.header
      if (
        h.index !== announced.index ||
        h.slot !== announced.slot ||
        !equalBytes(block.hash, announced.hash)
      ) {
        throw new DecodeError('new_block announcement does not match its block')
      }
    } catch (err) {
      hooks.penalise(peer, (err as Error).message)
      return TopicValidatorResult.Reject
    }
    try {
      const outcome = await node.receiveBlock(block, { from: peer.toString() })
      // Only fully validated blocks are relayed, and not an issuer's second block for a slot.
      return outcome === 'duplicate' || node.isEquivocation(block)
        ? TopicValidatorResult.Ignore
        : TopicValidatorResult.Accept
    } catch (err) {
      if (err instanceof UnknownParentError) {
        hooks.fetchAncestors(peer, block)
        return TopicValidatorResult.Ignore
      }
      if (err instanceof TooManyVariantsError && excessVariants.firstFrom(peer, block)) {
        // An honest peer relays one block per issuer and slot, and may relay an equivocator's
        // variant we have too many of: only a second one from the same peer is an offence.
        hooks.chargeWaste(peer, err.message)
        return TopicValidatorResult.Ignore
      }
      if (err instanceof ValidationError && !(err instanceof ForkTooDeepError)) {
        hooks.penalise(peer, err.message)
        return TopicValidatorResult.Reject
      }
      return TopicValidatorResult.Ignore
    }
  })
  pubsub.topicValidators.set(topics.txs, async (peer, message) => {
    if (await impaired(hooks)) return TopicValidatorResult.Ignore
    let tx: Transaction
    try {
      tx = decodeTransaction(decodeNewTx(message.data))
    } catch (err) {
      hooks.penalise(peer, (err as Error).message)
      return TopicValidatorResult.Reject
    }
    try {
      await node.submitTransaction(tx, { broadcast: false })
      return TopicValidatorResult.Accept
    } catch (err) {
      if (err instanceof DuplicateTxError || err instanceof MempoolFullError)
        return TopicValidatorResult.Ignore
      if (err instanceof ValidationError && !BENIGN_TX_CODES.has(err.code)) {
        hooks.penalise(peer, err.message)
        return TopicValidatorResult.Reject
      }
      if (err instanceof ValidationError) hooks.chargeWaste(peer, err.message)
      return TopicValidatorResult.Ignore
    }
  })
  pubsub.subscribe(topics.blocks)
  pubsub.subscribe(topics.txs)
  return () => {
    pubsub.unsubscribe(topics.blocks)
    pubsub.unsubscribe(topics.txs)
    pubsub.topicValidators.delete(topics.blocks)
    pubsub.topicValidators.delete(topics.txs)
  }
}

/** Remembers, per peer, the (issuer, slot) pairs it sent a block past the variant limit for (bounded). */
class ExcessVariants {
  private readonly seen = new Set<string>()

  /** True the first time `peer` sends such a block for the block's issuer and slot. */
  firstFrom(peer: PeerId, block: Block): boolean {
    const key = `${peer}/${toHex(block.header.issuer)}/${block.header.slot}`
    if (this.seen.has(key)) return false
    this.seen.add(key)
    if (this.seen.size > 10_000) this.seen.delete(this.seen.values().next().value as string)
    return true
  }
}

/** Publishes a block as a `new_block` message (index, slot, hash, block); never throws (no peers is fine). */
export function publishBlock(pubsub: GossipSub, chainId: string, block: Block): void {
  const data = encodeNewBlock(block.header.index, block.header.slot, block.hash, encodeBlock(block))
  pubsub.publish(gossipTopics(chainId).blocks, data).catch(() => {})
}

/** Publishes a transaction; never throws. */
export function publishTransaction(pubsub: GossipSub, chainId: string, tx: Transaction): void {
  pubsub.publish(gossipTopics(chainId).txs, encodeNewTx(encodeTransaction(tx))).catch(() => {})
}

/** The gossipsub internals peer-mesh upkeep needs (checked against @libp2p/gossipsub 17.1). */
interface GossipInternals {
  streamsOutbound: Map<string, { rawStream: Stream }>
  onPeerConnected(peer: PeerId, connection: Connection): void
}

/**
 * Has gossipsub open its stream to every directly connected peer that has none, or whose stream
 * is no longer open or sits on a connection that closed. Gossipsub attaches to a peer only when
 * the registrar reports a connection after identify, which a tab's WebRTC connection that
 * replaced a relayed circuit did not always get (blocks then reached that peer only through a
 * relay), and forgets a stream only on that stream's close event, which a stream opened on a
 * connection as it closed never sends. Cheap; run after a duplicate closes and now and then.
 */
export function repairGossip(pubsub: GossipSub, connections: readonly Connection[]): void {
  const gossip = pubsub as unknown as GossipInternals
  const direct = new Map<string, Connection[]>()
  for (const c of connections)
    if (c.status === 'open' && c.limits === undefined)
      direct.set(c.remotePeer.toString(), [...(direct.get(c.remotePeer.toString()) ?? []), c])
  for (const [id, open] of direct) {
    const current = gossip.streamsOutbound.get(id)
    // A stream counts only while it is open on a connection still up (a closed connection's
    // streams may still say "open").
    if (current?.rawStream.status === 'open' && open.some((c) => c.streams.includes(current.rawStream)))
      continue
    gossip.streamsOutbound.delete(id)
    gossip.onPeerConnected(open[0].remotePeer, open[0])
  }
}
