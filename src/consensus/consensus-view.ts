import { concatBytes } from '@noble/hashes/utils.js'
import { hash } from '../encoding/hash.ts'
import { type Genesis, stabilityWindow } from '../genesis.ts'
import type { BlockHeader } from '../ledger/block.ts'
import type { LedgerState } from '../ledger/ledger-state.ts'

/** What leader checks read of a state: its tip, the pools' stake, the nonces and the epoch ends. */
export type ConsensusView = Pick<
  LedgerState,
  'tip' | 'stake' | 'evolvingNonce' | 'candidateNonce' | 'epochEnds'
>

/**
 * The nonces and epoch ends after a block of `header` on `view`: they follow from headers alone
 * (VRF outputs and slots). The stake after the block is not among them: it follows from its transactions.
 */
export function noncesAfter(
  view: ConsensusView,
  header: Pick<BlockHeader, 'slot' | 'vrfOutput'>,
  genesis: Genesis,
): Pick<ConsensusView, 'evolvingNonce' | 'candidateNonce' | 'epochEnds'> {
  const tipEpoch = Math.floor(Math.max(view.tip.slot, 0) / genesis.epochLength)
  const epoch = Math.floor(header.slot / genesis.epochLength)
  let epochEnds = view.epochEnds
  if (epoch > tipEpoch) {
    const ended = {
      firstEpoch: tipEpoch,
      lastEpoch: epoch - 1,
      snapshot: view.stake,
      candidateNonce: view.candidateNonce,
    }
    epochEnds = [...view.epochEnds.slice(-1), ended]
  }
  const evolvingNonce =
    header.vrfOutput.length > 0 ? hash(concatBytes(view.evolvingNonce, header.vrfOutput)) : view.evolvingNonce
  // Blocks in the last 3k/f slots of an epoch no longer move the candidate: the next epoch's nonce
  // is settled before that epoch starts.
  const beforeStability =
    header.slot - epoch * genesis.epochLength <
    genesis.epochLength - stabilityWindow(genesis.k, genesis.activeSlotCoeff)
  return { evolvingNonce, candidateNonce: beforeStability ? evolvingNonce : view.candidateNonce, epochEnds }
}
