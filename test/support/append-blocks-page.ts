// Page for the browser reload test: appends blocks to an IndexedDB chain store as fast as it can
// and tells the parent page about each committed block. The store prefix comes in the query string.
import { browserPlatform } from '../../platform/browser/index.ts'
import { toHex } from '../../src/encoding/hash.ts'
import { ChainStore } from '../../src/ledger/chain-store.ts'
import { accountOf } from '../../src/ledger/ledger-state.ts'
import { bftGenesis, nextBlock, testKeys, transfer } from './chain-fixtures.ts'

const prefix = new URLSearchParams(location.search).get('prefix') ?? 'pp-reload-'
const platform = await browserPlatform({ prefix })
const keys = await testKeys(3, platform.crypto)
const chain = await ChainStore.open(await platform.openStore('chain'), bftGenesis(keys))
parent.postMessage({ opened: chain.tip.index }, '*')
for (;;) {
  const from = keys[1 + (chain.tip.index % 2)]
  const nonce = accountOf(chain.state, from.address).nonce
  const txs = await Promise.all(
    [0, 1].map((i) => transfer(from, keys[0].address, 1n, nonce + i, platform.crypto)),
  )
  const block = await nextBlock(chain.state, txs, keys[0], platform.crypto)
  await chain.adopt([block])
  parent.postMessage({ committed: block.header.index, hash: toHex(block.hash) }, '*')
}
