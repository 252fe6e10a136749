// A Praos chain built in memory, several epochs long, whose pools' stake moves every block (each
// block carries a transfer between pools): for checks of leaders, nonces and stake over epochs.
import { checkLeadership } from '../../src/consensus/leader-check.ts'
import { makeDevnet } from '../../src/devnet.ts'
import { hash } from '../../src/encoding/hash.ts'
import type { Genesis } from '../../src/genesis.ts'
import { applyBlock, stateAfter } from '../../src/ledger/apply-block.ts'
import { type Block, bodyHash, signBlock } from '../../src/ledger/block.ts'
import { epochStakeOps } from '../../src/ledger/epoch-stake.ts'
import { genesisState } from '../../src/ledger/genesis-state.ts'
import type { LedgerState } from '../../src/ledger/ledger-state.ts'
import type { CryptoPort } from '../../src/ports.ts'
import { transfer } from './chain-fixtures.ts'

/** The chain: its genesis, pools, blocks, the state after each, and the stake records nodes keep (by store key). */
export interface PraosChain {
  genesis: Genesis
  producers: Awaited<ReturnType<typeof makeDevnet>>['producers']
  blocks: Block[]
  states: LedgerState[]
  stakeRecords: Map<string, Uint8Array>
}

/** Three pools (k = 2, f = 1/2, 16-slot epochs) over `epochs` epochs; the first leader of each slot makes its block. */
export async function praosChain(crypto: CryptoPort, epochs: number): Promise<PraosChain> {
  let counter = 0
  const random = (n: number) => hash(new TextEncoder().encode(`pp-praos-chain-${counter++}`)).slice(0, n)
  const { genesis, producers } = await makeDevnet(
    { producers: 3, k: 2, genesisTime: 0, chainId: 'pp-praos-test', random },
    crypto,
  )
  const nonces = new Map<string, number>()
  let state = genesisState(genesis)
  const blocks: Block[] = []
  const states: LedgerState[] = []
  for (let slot = 0; slot < epochs * genesis.epochLength; slot++) {
    for (const [i, pool] of producers.entries()) {
      const leadership = checkLeadership(state, slot, pool, genesis)
      if (leadership === undefined) continue
      // A tenth of the payer's stake moves to the next pool: every epoch ends with other stakes.
      const to = producers[(i + 1) % producers.length]
      const nonce = nonces.get(pool.address) ?? 0
      nonces.set(pool.address, nonce + 1)
      const amount = state.accounts.get(pool.address)!.balance / 10n
      const txs = [await transfer(pool, to.address, amount, nonce, crypto, { chainId: genesis.chainId })]
      const draft = {
        index: state.tip.index + 1,
        slot,
        prevHash: state.tip.hash,
        bodyHash: bodyHash(txs),
        issuer: pool.publicKey,
        ...leadership,
        protocolVersion: genesis.protocolVersion,
      }
      const stateRoot = stateAfter(state, draft, txs, new Uint8Array(32), genesis).stateRoot
      const block = await signBlock({ ...draft, stateRoot }, txs, pool.secret, crypto)
      state = applyBlock(state, block, genesis)
      blocks.push(block)
      states.push(state)
      break
    }
  }
  const stakeRecords = new Map<string, Uint8Array>()
  for (const op of epochStakeOps(genesisState(genesis), states, genesis))
    if (op.type === 'put') stakeRecords.set(op.key, op.value)
  return { genesis, producers, blocks, states, stakeRecords }
}
