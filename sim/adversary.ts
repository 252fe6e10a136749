// A simulated adversary: a stake-holding node that equivocates in every slot it leads and sends
// well-formed forgeries of the blocks it receives (swapped bodies, headers re-signed by a key that
// does not lead the slot). It speaks only the documented gossip wire format.
import type { DevnetProducer } from '../src/devnet.ts'
import { type Block, bodyHash, decodeBlock, encodeBlock, signBlock } from '../src/ledger/block.ts'
import { signTransaction, type Transaction } from '../src/ledger/transaction.ts'
import type { Libp2pNetwork } from '../src/net/chain-network.ts'
import { publishBlock } from '../src/net/gossip.ts'
import type { PPNode } from '../src/node.ts'

/** What one adversary sent. */
export interface AdversaryCounts {
  equivocations: number
  swappedBodies: number
  wrongLeaders: number
}

/** Makes `node` (started, producing with `keys`) behave as the adversary, counting what it sends in `counts`. */
export function attachAdversary(node: PPNode, keys: DevnetProducer, counts: AdversaryCounts): void {
  const { crypto } = node.platform
  const chainId = node.genesis.chainId
  const publish = (block: Block) => {
    const pubsub = (node.network as Libp2pNetwork).libp2p?.services.pubsub
    if (pubsub !== undefined) publishBlock(pubsub, chainId, block)
  }
  // A body no honest block has: a transfer to itself at its next nonce (valid, but never submitted).
  const otherBody = async (): Promise<Transaction[]> => [
    await signTransaction(
      {
        type: 'transfer',
        chainId,
        from: keys.address,
        to: keys.address,
        amount: 1n,
        fee: 0n,
        nonce: node.nextNonce(keys.address),
      },
      keys.secret,
      crypto,
    ),
  ]
  node.addEventListener('block:added', ({ detail: { block, produced } }) => {
    void (async () => {
      const txs = await otherBody()
      if (produced) {
        // A second block for the slot it leads, with the same leadership proof and another body.
        publish(await signBlock({ ...block.header, bodyHash: bodyHash(txs) }, txs, keys.secret, crypto))
        counts.equivocations++
        return
      }
      // The honest header and signature with another body, racing the honest copy.
      publish(decodeBlock(encodeBlock({ header: block.header, signature: block.signature, txs })))
      counts.swappedBodies++
      // The same block claimed by the adversary's key, which does not hold its leadership proof.
      publish(await signBlock({ ...block.header, issuer: keys.publicKey }, block.txs, keys.secret, crypto))
      counts.wrongLeaders++
    })().catch(() => {})
  })
}
