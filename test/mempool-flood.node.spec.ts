import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { nodeCrypto } from '../platform/node/crypto.ts'
import { toHex } from '../src/encoding/hash.ts'
import { genesisToJson } from '../src/genesis.ts'
import { txToJson } from '../src/ledger/json.ts'
import type { Transaction } from '../src/ledger/transaction.ts'
import { bftGenesis, type TestKey, testKeys, transfer } from './support/chain-fixtures.ts'
import { until } from './support/network-fixtures.ts'
import { ANY_PORTS, type RelayProcess, startRelayProcess } from './support/relay-process.ts'

describe('mempool flood against a real relay process (POST /tx)', function () {
  this.timeout(120_000)
  let dir: string
  let relay: RelayProcess | undefined

  after(async () => {
    await relay?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('caps each sender, and an honest fee-1000 transfer into a full mempool displaces the cheapest and is mined', async () => {
    const crypto = nodeCrypto
    // keys[0] produces (the relay); keys[1] holds 1 coin; keys[2..5] are the attacker's richer
    // accounts; keys[6] pays keys[7] honestly.
    const keys: TestKey[] = await testKeys(8, crypto, 'flood')
    // Blocks start once the flood is in: the mempool is measured full, not drained by a block.
    const genesisTime = Math.ceil(Date.now() / 1000) * 1000 + 12_000
    const genesis = bftGenesis(keys, {
      genesisTime,
      // A small mempool (twice the block size: 32 KiB, ~115 transfers) is filled by a small flood.
      maxBlockBytes: 16_384,
      balances: Object.fromEntries(keys.map((k, i) => [k.address, i === 1 ? '1' : '1000000'])),
    })
    dir = await mkdtemp(join(tmpdir(), 'pp-flood-'))
    await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesisToJson(genesis)))
    await writeFile(join(dir, 'producer.json'), JSON.stringify({ secret: toHex(keys[0].secret) }))
    // Signed beforehand, so the flood is over well before the first slot.
    const attackers = keys.slice(1, 6)
    const flood = await Promise.all(
      attackers.map((key) =>
        Promise.all(
          Array.from({ length: 40 }, (_, nonce) =>
            transfer(key, key.address, 1n, nonce, crypto, { fee: 0n }),
          ),
        ),
      ),
    )
    const honest = await transfer(keys[6], keys[7].address, 5n, 0, crypto, { fee: 1000n })
    relay = await startRelayProcess([
      '--data-dir',
      join(dir, 'data'),
      '--genesis',
      join(dir, 'genesis.json'),
      '--producer-key',
      join(dir, 'producer.json'),
      ...ANY_PORTS,
      '--allow-private',
    ])
    const post = async (tx: Transaction) => {
      const res = await fetch(`${relay!.httpUrl}/tx`, { method: 'POST', body: JSON.stringify(txToJson(tx)) })
      const body = (await res.json()) as { error?: { code: string } }
      return body.error?.code ?? 'ADMITTED'
    }
    const status = async () =>
      (await (await fetch(`${relay!.httpUrl}/status`)).json()) as {
        tip: { index: number }
        mempool: { transactions: number }
      }
    const send = async (txs: Transaction[]) => {
      const codes: Record<string, number> = {}
      for (const tx of txs) {
        const code = await post(tx)
        codes[code] = (codes[code] ?? 0) + 1
      }
      return codes
    }
    // The account holding 1 coin first, then the others in parallel (each in nonce order).
    const outcomes = [await send(flood[0]), ...(await Promise.all(flood.slice(1).map(send)))]
    const pendingBefore = (await status()).mempool.transactions
    const honestCode = await post(honest)
    const pendingAfter = (await status()).mempool.transactions
    const flooded = Date.now()
    expect(flooded, 'the flood took until the first slot: the test measured nothing').to.be.below(genesisTime)
    console.log(
      `      flood: ${JSON.stringify(outcomes)}; pending ${pendingBefore} → ${pendingAfter} after the honest transfer (${honestCode})`,
    )
    const poor = outcomes[0]
    const admitted = outcomes.reduce((sum, codes) => sum + (codes.ADMITTED ?? 0), 0)
    const full = outcomes.reduce((sum, codes) => sum + (codes.MEMPOOL_FULL ?? 0), 0)
    expect({
      poorAdmitted: poor.ADMITTED,
      poorCapped: poor.SENDER_LIMIT,
      mostPerSender: Math.max(...outcomes.map((codes) => codes.ADMITTED ?? 0)),
      fullRefusals: full > 0,
      honestCode,
      displaced: pendingAfter === pendingBefore,
    }).to.deep.equal({
      // The account holding 1 coin gets 32 pending transactions (the per-sender cap), not the mempool.
      poorAdmitted: 32,
      poorCapped: 8,
      mostPerSender: 32,
      // The flood still fills the mempool (5 × 32 transactions are more than 32 KiB)…
      fullRefusals: true,
      // …yet the honest transfer, paying more per byte, takes the place of a zero-fee one.
      honestCode: 'ADMITTED',
      displaced: true,
    })
    expect(admitted).to.equal(pendingBefore)
    // Mined once slots start: the honest recipient is paid.
    await until(
      async () => {
        const res = await fetch(`${relay!.httpUrl}/accounts/${keys[7].address}`)
        return ((await res.json()) as { balance: string }).balance === '1000005'
      },
      () => 'the honest transfer to be mined',
      40_000,
    )
    expect((await status()).tip.index).to.be.at.least(1)
  })
})
