// Child process for the crash test: appends blocks to a chain store as fast as it can and reports
// each committed block on stdout as "committed <index> <hash>". Usage: node append-blocks.ts <dataDir>
import { nodePlatform } from '../../platform/node/index.ts'
import { toHex } from '../../src/encoding/hash.ts'
import { ChainStore } from '../../src/ledger/chain-store.ts'
import { accountOf } from '../../src/ledger/ledger-state.ts'
import { bftGenesis, nextBlock, testKeys, transfer } from './chain-fixtures.ts'

const platform = nodePlatform({ dataDir: process.argv[2] })
const keys = await testKeys(3, platform.crypto)
const chain = await ChainStore.open(await platform.openStore('chain'), bftGenesis(keys))
process.stdout.write(`opened ${chain.tip.index}\n`)
for (;;) {
  const from = keys[1 + (chain.tip.index % 2)]
  const txs = await Promise.all(
    [0, 1, 2].map((i) =>
      transfer(from, keys[0].address, 1n, accountOf(chain.state, from.address).nonce + i, platform.crypto),
    ),
  )
  const block = await nextBlock(chain.state, txs, keys[0], platform.crypto)
  await chain.adopt([block])
  process.stdout.write(`committed ${block.header.index} ${toHex(block.hash)}\n`)
}
