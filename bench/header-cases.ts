// How fast a header chain is checked alone (signatures, VRF leader checks, one proven stake record
// per epoch): what a node joining with `checkpoint: 'headers'` pays per block of the chain's age.
import { HeaderChain } from '../src/consensus/header-chain.ts'
import { encodeBlock } from '../src/ledger/block.ts'
import { decodeEpochStake, epochStakeKey } from '../src/ledger/epoch-stake.ts'
import type { ChainTip } from '../src/ledger/ledger-state.ts'
import { decodeSignedHeader, signedHeaderWire } from '../src/ledger/signed-header.ts'
import type { Platform } from '../src/ports.ts'
import { praosChain } from '../test/support/praos-chain.ts'
import type { Figure } from './cases.ts'

/** Headers checked per second over a Praos chain of `epochs` epochs (built first, not timed). */
export async function headerRate(platform: Platform, epochs: number): Promise<Figure[]> {
  const chain = await praosChain(platform.crypto, epochs)
  const headers = chain.blocks.map((b) => decodeSignedHeader(signedHeaderWire(encodeBlock(b))))
  const stakeAfter = async (tip: ChainTip) =>
    decodeEpochStake(chain.stakeRecords.get(epochStakeKey(tip.hash))!)
  const verifier = new HeaderChain(chain.genesis, platform.crypto, 100)
  const start = performance.now()
  for (let i = 0; i < headers.length; i += 1000)
    await verifier.extend(headers.slice(i, i + 1000), stakeAfter, Number.MAX_SAFE_INTEGER)
  const rate = headers.length / ((performance.now() - start) / 1000)
  if (verifier.tip.index !== headers.length) throw new Error('the header chain did not check out')
  return [
    {
      name: `headers checked alone (signature + VRF leader + stake per epoch), ${platform.name}`,
      value: rate,
      unit: 'headers/s',
    },
    {
      name: `header chain of 1,000,000 blocks checked, ${platform.name} (from the rate)`,
      value: 1e6 / rate,
      unit: 's',
    },
  ]
}
