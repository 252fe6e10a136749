import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { nodeCrypto } from '../platform/node/crypto.ts'
import { toHex } from '../src/encoding/hash.ts'
import { genesisToJson } from '../src/genesis.ts'
import { addressOf } from '../src/ledger/address.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { type Block, decodeBlock, encodeBlock } from '../src/ledger/block.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import type { LedgerState } from '../src/ledger/ledger-state.ts'
import { type Transaction, txHash } from '../src/ledger/transaction.ts'
import { decodeNewBlock, encodeNewBlock } from '../src/net/messages.ts'
import { bftGenesis, nextBlock, type TestKey, testKeys, transfer } from './support/chain-fixtures.ts'
import { gossipPeer } from './support/gossip-peer.ts'
import { waitFor } from './support/network-fixtures.ts'
import { ANY_PORTS, type RelayProcess, startRelayProcess } from './support/relay-process.ts'

// The identity point: a "public key" under which R = identity, S = 0 verifies for any message on
// engines without the small-order rule (Chromium's WebCrypto among them).
const SMALL_ORDER_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0))
const L = 2n ** 252n + 27742317777372353535851937790883648493n

/** The same header and signature with another body. */
const withBody = (block: Block, txs: Transaction[]): Block =>
  decodeBlock(encodeBlock({ header: block.header, signature: block.signature, txs }))

/** The same block with its signature's S replaced by S + L (a malleated, non-canonical signature). */
function malleated(block: Block): Block {
  let s = 0n
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(block.signature[i])
  const signature = block.signature.slice()
  s += L
  for (let i = 32; i < 64; i++, s >>= 8n) signature[i] = Number(s & 0xffn)
  return decodeBlock(encodeBlock({ header: block.header, signature, txs: block.txs }))
}

describe('attacks by well-formed lies against a real relay process (plain libp2p peers, gossip)', function () {
  this.timeout(180_000)
  let dir: string
  let relay: RelayProcess | undefined
  const hosts: Array<{ stop(): Promise<void> | void }> = []

  after(async () => {
    for (const host of hosts) await host.stop()
    await relay?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses forgeries, stores and relays nothing unchecked, bans the sender, and ends on the longest valid chain', async () => {
    const crypto = nodeCrypto
    // keys[0] leads even slots, keys[1] odd ones; keys[2] leads none. The relay only follows.
    const keys: TestKey[] = await testKeys(3, crypto, 'adversary')
    const victim = addressOf(SMALL_ORDER_KEY)
    const genesis = bftGenesis(
      keys,
      {
        genesisTime: Math.floor(Date.now() / 1000) * 1000 - 60_000,
        balances: Object.fromEntries([...keys.map((k) => [k.address, '1000000']), [victim, '1000000']]),
      },
      2,
    )
    dir = await mkdtemp(join(tmpdir(), 'pp-adversary-'))
    await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesisToJson(genesis)))
    relay = await startRelayProcess([
      '--data-dir',
      join(dir, 'data'),
      '--genesis',
      join(dir, 'genesis.json'),
      ...ANY_PORTS,
      // A local test: peers share 127.0.0.1, so offences count per peer id, not per network.
      '--allow-private',
    ])
    const api = async (path: string) => fetch(`${relay!.httpUrl}${path}`)
    const tip = async () => (await (await api('/status')).json()).tip as { index: number; hash: string }
    const stored = async (block: Block) => (await api(`/blocks/${toHex(block.hash)}`)).status === 200
    const counter = async (name: string) =>
      Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await (await api('/metrics')).text())?.[1])
    const topic = `/pp/${genesis.chainId}/blocks/1`
    const relayAddr = relay.multiaddrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))!
    const peer = async () => {
      const host = await gossipPeer(relayAddr, topic)
      hosts.push(host)
      return host
    }
    const [attacker, honest, observer] = [await peer(), await peer(), await peer()]
    const seen = new Set<string>() // block hashes the observer got from the relay
    observer.services.pubsub.addEventListener('message', (e) => {
      if (e.detail.topic === topic) seen.add(toHex(decodeNewBlock(e.detail.data).hash))
    })
    const send = (from: typeof attacker, block: Block) =>
      from.services.pubsub.publish(
        topic,
        encodeNewBlock(block.header.index, block.header.slot, block.hash, encodeBlock(block)),
      )
    /** Sends a forgery and waits for the relay to count it rejected (so it was delivered and judged). */
    const refused = async (block: Block) => {
      const before = await counter('pp_blocks_rejected_total')
      await send(attacker, block)
      const deadline = Date.now() + 20_000
      while ((await counter('pp_blocks_rejected_total')) === before) {
        if (Date.now() > deadline) throw new Error('the relay never judged the forgery')
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(await stored(block)).to.equal(false)
    }
    const accepted = async (block: Block, from = honest) => {
      await send(from, block)
      const deadline = Date.now() + 20_000
      while (!(await stored(block))) {
        if (Date.now() > deadline) throw new Error(`block ${block.header.index} never stored`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    const extend = (state: LedgerState, block: Block) => applyBlock(state, block, genesis)

    // Block 1 (slot 0): the observer receives it through the relay (the gossip mesh works).
    const s0 = genesisState(genesis)
    const b1 = await nextBlock(s0, [], keys[0], crypto, 0)
    await accepted(b1)
    await waitFor(() => seen.has(toHex(b1.hash)), 'the observer to get block 1 from the relay')
    const s1 = extend(s0, b1)
    const b2 = await nextBlock(s1, [], keys[0], crypto, 2)
    await accepted(b2)
    expect(await tip()).to.include({ index: 2 })

    // From here the forks start at block 1: a block at index 2 is a side block until its branch grows.
    // 1. A side block from a key that leads no slot.
    await refused(await nextBlock(s1, [], keys[2], crypto, 3))
    // 2. Body swap: the real header and signature of a fork block with another body, before the real one.
    const fork = await nextBlock(
      s1,
      [await transfer(keys[2], keys[0].address, 5n, 0, crypto)],
      keys[1],
      crypto,
      3,
    )
    await refused(withBody(fork, []))
    await accepted(fork) // the honest copy is still taken: a valid side block
    const onFork = await nextBlock(extend(s1, fork), [], keys[0], crypto, 4)
    await accepted(onFork)
    expect(await tip()).to.deep.equal({ index: 3, slot: 4, hash: toHex(onFork.hash) })
    const s3 = extend(extend(s1, fork), onFork)
    // 3. Equivocation: keys[1] signs two blocks for slot 5; the longer chain goes through the second.
    const first = await nextBlock(s3, [], keys[1], crypto, 5)
    const second = await nextBlock(
      s3,
      [await transfer(keys[2], keys[1].address, 1n, 1, crypto)],
      keys[1],
      crypto,
      5,
    )
    await accepted(first)
    await waitFor(() => seen.has(toHex(first.hash)), 'the observer to get the first block of slot 5')
    await accepted(second, attacker)
    expect(await counter('pp_block_equivocations_total')).to.equal(1)
    const longer = await nextBlock(extend(s3, second), [], keys[0], crypto, 6)
    await accepted(longer)
    expect(await tip()).to.deep.equal({ index: 5, slot: 6, hash: toHex(longer.hash) })
    const s5 = extend(extend(s3, second), longer)
    // 4. Edge-case signatures: a transaction "signed" for a small-order key, and a malleated header signature.
    const body = {
      type: 'transfer' as const,
      chainId: genesis.chainId,
      from: victim,
      to: keys[2].address,
      amount: 999n,
      fee: 0n,
      nonce: 0,
    }
    const anyMessage = { body, publicKey: SMALL_ORDER_KEY, signature: new Uint8Array(64), hash: txHash(body) }
    anyMessage.signature[0] = 1 // R = identity, S = 0
    await refused(await nextBlock(s5, [anyMessage], keys[1], crypto, 7))
    await refused(malleated(await nextBlock(s5, [], keys[1], crypto, 7)))
    // 5. Another stranger's block on the tip: a fifth offence (scores heal slowly between offences).
    await refused(await nextBlock(s5, [], keys[2], crypto, 8))

    // The observer got every accepted block except the equivocating one, and no forgery.
    await waitFor(() => seen.has(toHex(longer.hash)), 'the observer to get the block after the equivocation')
    expect([...seen].sort()).to.deep.equal(
      [b1, b2, fork, onFork, first, longer].map((b) => toHex(b.hash)).sort(),
    )
    // Five offences: the attacker is banned and disconnected; the honest peers stay.
    const peers = async () => ((await (await api('/peers')).json()) as Array<{ id: string }>).map((p) => p.id)
    const deadline = Date.now() + 20_000
    while ((await peers()).includes(attacker.peerId.toString())) {
      if (Date.now() > deadline) throw new Error('the attacker was never banned')
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(await peers()).to.include.members([honest.peerId.toString(), observer.peerId.toString()])
    expect(await tip()).to.deep.equal({ index: 5, slot: 6, hash: toHex(longer.hash) })
  })
})
