import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { nodeCrypto } from '../platform/node/crypto.ts'
import { toHex } from '../src/encoding/hash.ts'
import { genesisToJson } from '../src/genesis.ts'
import { txToJson } from '../src/ledger/json.ts'
import { decodeTransaction, encodeTransaction, type Transaction } from '../src/ledger/transaction.ts'
import { decodeNewTx, encodeNewTx } from '../src/net/messages.ts'
import { bftGenesis, type TestKey, testKeys, transfer } from './support/chain-fixtures.ts'
import { gossipPeer } from './support/gossip-peer.ts'
import { until, waitFor } from './support/network-fixtures.ts'
import { ANY_PORTS, type RelayProcess, startRelayProcess } from './support/relay-process.ts'

describe('mempool flood against a real relay process (gossip and POST /tx)', function () {
  this.timeout(120_000)
  let dir: string
  let relay: RelayProcess | undefined
  const hosts: Array<{ stop(): Promise<void> | void }> = []

  after(async () => {
    for (const host of hosts) await host.stop()
    await relay?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('caps each sender (also what it relays), and an honest fee-1000 transfer into a full mempool displaces the cheapest and is mined', async () => {
    const crypto = nodeCrypto
    // keys[0] produces (the relay); keys[1] and keys[8] hold 1 coin; keys[2..5] are the attacker's
    // richer accounts; keys[6] pays keys[7] honestly.
    const keys: TestKey[] = await testKeys(9, crypto, 'flood')
    // Blocks start once the flood is in: the mempool is measured full, not drained by a block.
    const genesisTime = Math.ceil(Date.now() / 1000) * 1000 + 12_000
    const genesis = bftGenesis(keys, {
      genesisTime,
      // A small mempool (twice the block size: 32 KiB, ~115 transfers) is filled by a small flood.
      maxBlockBytes: 16_384,
      balances: Object.fromEntries(keys.map((k, i) => [k.address, i === 1 || i === 8 ? '1' : '1000000'])),
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
    const gossiped = await Promise.all(
      Array.from({ length: 40 }, (_, nonce) =>
        transfer(keys[8], keys[8].address, 1n, nonce, crypto, { fee: 0n }),
      ),
    )
    const honest = await transfer(keys[6], keys[7].address, 5n, 0, crypto, { fee: 1000n })
    relay = await startRelayProcess(
      [
        '--data-dir',
        join(dir, 'data'),
        '--genesis',
        join(dir, 'genesis.json'),
        '--producer-key',
        join(dir, 'producer.json'),
        ...ANY_PORTS,
        '--allow-private',
      ],
      // The flood is the mempool's to bear here, not the HTTP API's per-network rate limit
      // (test/http-limits.node.spec.ts): every client of this test is 127.0.0.1.
      { PP_TX_RATE: '100000' },
    )
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
    const metric = async (name: string) =>
      Number(
        new RegExp(`^${name} (\\d+)`, 'm').exec(await (await fetch(`${relay!.httpUrl}/metrics`)).text())?.[1],
      )
    const judged = async () =>
      (await metric('pp_txs_accepted_total')) + (await metric('pp_txs_rejected_total'))

    // Over gossip: one account holding 1 coin publishes 40 zero-fee self-transfers; a second peer
    // counts what the relay passes on to it.
    const relayAddr = relay.multiaddrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))!
    const topic = `/pp/${genesis.chainId}/txs/1`
    const peer = async () => {
      const host = await gossipPeer(relayAddr, topic)
      hosts.push(host)
      return host
    }
    const [spammer, observer] = [await peer(), await peer()]
    let relayed = 0
    observer.services.pubsub.addEventListener('message', (e) => {
      if (e.detail.topic !== topic) return
      if (decodeTransaction(decodeNewTx(e.detail.data)).body.from === keys[8].address) relayed++
    })
    for (const tx of gossiped) {
      // One at a time, so each is judged after the one before it (nonces in order).
      const before = await judged()
      await spammer.services.pubsub.publish(topic, encodeNewTx(encodeTransaction(tx)))
      await until(
        async () => (await judged()) > before,
        () => 'the relay to judge a gossiped transaction',
        10_000,
      )
    }
    const gossipAdmitted = (await status()).mempool.transactions
    await waitFor(
      () => relayed >= gossipAdmitted,
      'the relay to pass on what it admitted from the gossip spammer',
      10_000,
    )

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
      `      flood: gossip ${gossipAdmitted} of 40 admitted, ${relayed} relayed; HTTP ${JSON.stringify(outcomes)}; pending ${pendingBefore} → ${pendingAfter} after the honest transfer (${honestCode}); done ${genesisTime - flooded} ms before slot 0`,
    )
    const poor = outcomes[0]
    const admitted = outcomes.reduce((sum, codes) => sum + (codes.ADMITTED ?? 0), 0)
    const full = outcomes.reduce((sum, codes) => sum + (codes.MEMPOOL_FULL ?? 0), 0)
    expect({
      gossipAdmitted,
      relayed,
      poorAdmitted: poor.ADMITTED,
      poorCapped: poor.SENDER_LIMIT,
      mostPerSender: Math.max(...outcomes.map((codes) => codes.ADMITTED ?? 0)),
      fullRefusals: full > 0,
      honestCode,
      displaced: pendingAfter === pendingBefore,
    }).to.deep.equal({
      // Each account holding 1 coin gets 32 pending transactions, over gossip as over HTTP, and the
      // relay passes on no more.
      gossipAdmitted: 32,
      relayed: 32,
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
    expect(gossipAdmitted + admitted).to.equal(pendingBefore)
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
