import { expect } from 'chai'
import { makeDevnet } from '../src/devnet.ts'
import { encodeCbor } from '../src/encoding/cbor.ts'
import { hash, toHex } from '../src/encoding/hash.ts'
import { encodeGenesis, genesisHash, genesisToJson, MAX_SUPPLY, parseGenesis } from '../src/genesis.ts'
import { addressOf } from '../src/ledger/address.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { txFromJson, txToJson } from '../src/ledger/json.ts'
import { decodeAccount, decodeBase, encodeAccount, encodeBase } from '../src/ledger/state-codec.ts'
import { bftGenesis, errorCode, testKeys, transfer } from './support/chain-fixtures.ts'
import { testCrypto } from './support/test-platform.ts'

describe('genesis rules and amount bounds', () => {
  it('refuses a total supply of 2^64 or more, naming the field; 2^64 − 1 is fine', async () => {
    const keys = await testKeys(2, await testCrypto())
    const json = genesisToJson(bftGenesis(keys))
    const withBalances = (a: bigint, b: bigint) => ({
      ...json,
      balances: { [keys[0].address]: a.toString(), [keys[1].address]: b.toString() },
    })
    const half = MAX_SUPPLY / 2n
    const error = (() => {
      try {
        parseGenesis(withBalances(half, half))
      } catch (err) {
        return err as Error & { code: string }
      }
    })()
    expect(error?.code).to.equal('CONFIG_INVALID')
    expect(error?.message).to.match(
      /genesis: balances: total supply 18446744073709551616 must be below 2\^64/,
    )
    expect(parseGenesis(withBalances(half, half - 1n)).balances.get(keys[1].address)).to.equal(half - 1n)
  })

  it('writes and reads the settled state and an account holding the whole maximum supply', async () => {
    const keys = await testKeys(2, await testCrypto())
    const json = genesisToJson(bftGenesis(keys))
    const genesis = parseGenesis({
      ...json,
      balances: { [keys[0].address]: (MAX_SUPPLY - 1n).toString() },
      pools: [{ publicKey: toHex(keys[0].publicKey), vrfKey: toHex(keys[1].publicKey) }],
    })
    const { accounts, ...state } = genesisState(genesis)
    const account = accounts.get(keys[0].address)!
    expect(decodeAccount(encodeAccount(account)).balance).to.equal(MAX_SUPPLY - 1n)
    const read = decodeBase(encodeBase(state))
    expect(read.epochEnds[0].snapshot.totalStake).to.equal(MAX_SUPPLY - 1n)
    expect(read.stake.totalStake).to.equal(state.stake.totalStake)
    expect(toHex(read.candidateNonce)).to.equal(toHex(state.candidateNonce))
  })

  it('refuses amounts and fees of 2^64 or more from JSON as malformed', async () => {
    const crypto = await testCrypto()
    const keys = await testKeys(2, crypto)
    const json = txToJson(await transfer(keys[0], keys[1].address, 5n, 0, crypto))
    for (const field of ['amount', 'fee']) {
      const tooBig = { ...json, body: { ...json.body, [field]: MAX_SUPPLY.toString() } }
      expect(await errorCode(() => txFromJson(tooBig)), field).to.equal('DECODE_FAILED')
    }
    const max = { ...json, body: { ...json.body, amount: (MAX_SUPPLY - 1n).toString() } }
    expect(txFromJson(max).body).to.include({ amount: MAX_SUPPLY - 1n })
  })

  it('refuses a Praos genesis whose epochs are not longer than 3k/f, or whose pools share a VRF key', async () => {
    const keys = await testKeys(2, await testCrypto())
    const base = {
      ...genesisToJson(bftGenesis(keys)),
      mode: 'praos' as const,
      k: 5,
      activeSlotCoeff: '1/2',
      pools: keys.map((k, i) => ({ publicKey: toHex(k.publicKey), vrfKey: toHex(keys[1 - i].publicKey) })),
    }
    const message = (json: object) => {
      try {
        parseGenesis(json)
        return 'accepted'
      } catch (err) {
        return (err as Error).message
      }
    }
    expect(message({ ...base, epochLength: 30 })).to.match(
      /^genesis: epochLength: must be greater than 3k\/f = 30 slots/,
    )
    expect(message({ ...base, epochLength: 31 })).to.equal('accepted')
    expect(message({ ...base, epochLength: 31, activeSlotCoeff: '1/3' })).to.match(/3k\/f = 45 slots/)
    const shared = {
      ...base,
      epochLength: 40,
      pools: base.pools.map((p) => ({ ...p, vrfKey: base.pools[0].vrfKey })),
    }
    expect(message(shared)).to.match(/^genesis: pools: VRF key [0-9a-f]{64} is used by two pools/)
  })

  it('hashes a genesis exactly as the DAG-CBOR encoding of its JSON form, however many balances it has', async () => {
    const keys = await testKeys(3, await testCrypto())
    const { genesis: devnet } = await makeDevnet(
      { producers: 3, faucet: true, chainId: 'balances' },
      await testCrypto(),
    )
    const many: Record<string, string> = {}
    for (let i = 0; i < 3000; i++) many[addressOf(hash(Uint8Array.of(i & 255, i >> 8)))] = String(i * 7919)
    const geneses = [
      bftGenesis(keys),
      devnet,
      parseGenesis({ ...genesisToJson(bftGenesis(keys)), balances: many }),
    ]
    for (const g of geneses) {
      expect(toHex(encodeGenesis(g))).to.equal(toHex(encodeCbor(genesisToJson(g))))
      expect(toHex(genesisHash(g))).to.equal(toHex(hash(encodeCbor(genesisToJson(g)))))
    }
  })

  it('names the bad balance entry', async () => {
    const keys = await testKeys(1, await testCrypto())
    const json = genesisToJson(bftGenesis(keys))
    expect(() => parseGenesis({ ...json, balances: { ...json.balances, pp00: '1' } })).to.throw(
      /genesis: balances\.pp00: keys must be pp-node addresses/,
    )
    expect(() => parseGenesis({ ...json, balances: { [keys[0].address]: '-5' } })).to.throw(
      /must be a whole number as a decimal string/,
    )
  })
})
