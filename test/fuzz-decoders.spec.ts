import { expect } from 'chai'
import fc from 'fast-check'
import { encodeCbor } from '../src/encoding/cbor.ts'
import { DecodeError, PPError } from '../src/errors.ts'
import { parseGenesis } from '../src/genesis.ts'
import { decodeBlock, decodeHeader, encodeBlock } from '../src/ledger/block.ts'
import { decodeEpochStake } from '../src/ledger/epoch-stake.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { txFromJson } from '../src/ledger/json.ts'
import { decodeTransaction, encodeTransaction } from '../src/ledger/transaction.ts'
import {
  decodeBlocks,
  decodeGetBlocks,
  decodeGetHeaders,
  decodeGetStake,
  decodeHeaders,
  decodeLocate,
  decodeLocated,
  decodeNewBlock,
  decodeNewTx,
  decodeStatus,
} from '../src/net/messages.ts'
import { bftGenesis, nextBlock, testKeys, transfer } from './support/chain-fixtures.ts'
import { testCrypto } from './support/test-platform.ts'

/** Runs a decoder; anything it throws must be one of pp-node's typed errors. */
function onlyTypedErrors(decode: (input: never) => unknown) {
  return (input: unknown): boolean => {
    try {
      decode(input as never)
    } catch (err) {
      if (!(err instanceof PPError))
        throw new Error(`untyped ${(err as Error)?.name}: ${(err as Error)?.message}`)
    }
    return true
  }
}

const DECODERS = {
  decodeTransaction,
  decodeBlock,
  decodeStatus,
  decodeGetBlocks,
  decodeBlocks,
  decodeLocate,
  decodeLocated,
  decodeNewBlock,
  decodeNewTx,
  decodeHeader,
  decodeGetHeaders,
  decodeHeaders,
  decodeGetStake,
  decodeEpochStake,
}

describe('fuzzing every decoder reachable from the network', () => {
  let validTx: Uint8Array
  let validBlock: Uint8Array

  before(async () => {
    const crypto = await testCrypto()
    const keys = await testKeys(3, crypto)
    const genesis = bftGenesis(keys)
    const tx = await transfer(keys[1], keys[2].address, 5n, 0, crypto, { memo: 'hi' } as never)
    validTx = encodeTransaction(tx)
    validBlock = encodeBlock(await nextBlock(genesisState(genesis), [tx], keys[0], crypto))
  })

  for (const [name, decode] of Object.entries(DECODERS)) {
    it(`${name}: random bytes and random CBOR values throw only typed errors`, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), onlyTypedErrors(decode)), { numRuns: 300 })
      const value = fc.anything({
        withBigInt: true,
        withTypedArray: true,
        withNullPrototype: false,
        maxDepth: 3,
      })
      fc.assert(
        fc.property(value, (v) => {
          let bytes: Uint8Array
          try {
            bytes = encodeCbor(v)
          } catch {
            return true // not representable in DAG-CBOR: nothing a peer could send
          }
          return onlyTypedErrors(decode)(bytes)
        }),
        { numRuns: 300 },
      )
    })
  }

  it('mutated valid transactions and blocks: every flipped, cut or spliced byte gives a typed error or a valid object', () => {
    const mutate = (bytes: Uint8Array) =>
      fc
        .tuple(
          fc.nat(bytes.length - 1),
          fc.integer({ min: 1, max: 255 }),
          fc.nat(bytes.length),
          fc.uint8Array({ maxLength: 8 }),
        )
        .map(([at, xor, cut, extra]) => {
          const copy = bytes.slice(0, Math.max(1, cut))
          if (at < copy.length) copy[at] ^= xor
          const out = new Uint8Array(copy.length + extra.length)
          out.set(copy)
          out.set(extra, copy.length)
          return out
        })
    fc.assert(fc.property(mutate(validTx), onlyTypedErrors(decodeTransaction)), { numRuns: 1000 })
    fc.assert(fc.property(mutate(validBlock), onlyTypedErrors(decodeBlock)), { numRuns: 1000 })
  })

  it('JSON transactions and genesis files: random shapes give a typed error naming the problem', () => {
    const json = fc.jsonValue({ maxDepth: 3 })
    fc.assert(fc.property(json, onlyTypedErrors(txFromJson)), { numRuns: 500 })
    fc.assert(fc.property(json, onlyTypedErrors(parseGenesis)), { numRuns: 500 })
    expect(() => decodeTransaction(new Uint8Array([0xff]))).to.throw(DecodeError)
  })
})
