import { concatBytes } from '@noble/hashes/utils.js'
import * as v from 'valibot'
import { encodeCbor } from './encoding/cbor.ts'
import { fromHex, hash, toHex } from './encoding/hash.ts'
import { encodeStringMap } from './encoding/string-map-cbor.ts'
import { ConfigError } from './errors.ts'
import { type Address, addressOf, isAddress } from './ledger/address.ts'

/** A rational number p/q with 0 < p/q ≤ 1 (the active slot coefficient f). */
export interface Rational {
  numerator: bigint
  denominator: bigint
}

/** A stake pool known from genesis: its block-signing key and its VRF key. */
export interface GenesisPool {
  publicKey: Uint8Array
  vrfKey: Uint8Array
}

/** The chain's parameters and initial state, parsed and validated. */
export interface Genesis {
  chainId: string
  /** Unix milliseconds at which slot 0 starts. */
  genesisTime: number
  slotMs: number
  epochLength: number
  /** The deepest rollback a node ever performs (security parameter). */
  k: number
  activeSlotCoeff: Rational
  maxBlockBytes: number
  maxTxPerBlock: number
  mode: 'praos' | 'bft'
  protocolVersion: number
  /** The least fee a transaction may pay: a ledger rule (0 when the genesis file names none). */
  minFee: bigint
  /** Initial balances by address. */
  balances: Map<Address, bigint>
  pools: GenesisPool[]
  /** BFT mode: the producers' ed25519 public keys, in turn order. */
  bftKeys: Uint8Array[]
}

const hexKey = v.pipe(
  v.string(),
  v.check((s) => fromHex(s)?.length === 32, 'must be 32 bytes as 64 hex characters'),
  v.transform((s) => fromHex(s)!),
)
const positive = (max: number) => v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(max))

const GenesisSchema = v.strictObject({
  chainId: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 of a-z, 0-9 and -')),
  genesisTime: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  slotMs: v.pipe(v.number(), v.safeInteger(), v.minValue(50), v.maxValue(3_600_000)),
  epochLength: positive(1_000_000),
  k: positive(10_000),
  activeSlotCoeff: v.pipe(
    v.string(),
    v.regex(/^\d{1,9}\/\d{1,9}$/, 'must be a fraction "p/q"'),
    v.transform((s) => {
      const [p, q] = s.split('/').map(BigInt)
      return { numerator: p, denominator: q }
    }),
    v.check((r) => r.numerator > 0n && r.numerator <= r.denominator, 'must be in (0, 1]'),
  ),
  maxBlockBytes: v.pipe(v.number(), v.safeInteger(), v.minValue(1024), v.maxValue(4 * 1024 * 1024)),
  maxTxPerBlock: positive(100_000),
  mode: v.picklist(['praos', 'bft']),
  protocolVersion: positive(1_000_000),
  // Optional so genesis files written before it load, with the same hash (see genesisToJson).
  minFee: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,19}$/, 'must be a whole number as a decimal string'),
      v.transform((s) => BigInt(s)),
    ),
    '0',
  ),
  // Checked entry by entry in parseGenesis: a schema per entry costs seconds at a million accounts.
  balances: v.record(v.string(), v.string()),
  pools: v.optional(v.array(v.strictObject({ publicKey: hexKey, vrfKey: hexKey })), []),
  bftKeys: v.optional(v.array(hexKey), []),
})

/** The JSON form of a genesis file, as written to disk. */
export type GenesisJson = v.InferInput<typeof GenesisSchema>

/** Validates a genesis file's parsed JSON; throws ConfigError naming the first bad field. */
export function parseGenesis(json: unknown): Genesis {
  const parsed = v.safeParse(GenesisSchema, json)
  if (!parsed.success) {
    const issue = parsed.issues[0]
    throw new ConfigError(`genesis: ${v.getDotPath(issue) ?? 'file'}: ${issue.message}`)
  }
  const g = parsed.output
  const balances = new Map<Address, bigint>()
  for (const [address, amount] of Object.entries(g.balances)) {
    if (!isAddress(address))
      throw new ConfigError(`genesis: balances.${address}: keys must be pp-node addresses`)
    if (!/^\d{1,30}$/.test(amount))
      throw new ConfigError(`genesis: balances.${address}: must be a whole number as a decimal string`)
    balances.set(address, BigInt(amount))
  }
  if (g.mode === 'bft' && g.bftKeys.length === 0)
    throw new ConfigError('genesis: bft mode needs at least one bftKeys entry')
  if (g.mode === 'praos' && g.pools.length === 0)
    throw new ConfigError('genesis: praos mode needs at least one pool')
  const vrfKeys = new Set<string>()
  for (const pool of g.pools) {
    if ((balances.get(addressOf(pool.publicKey)) ?? 0n) === 0n) {
      throw new ConfigError(`genesis: pool ${addressOf(pool.publicKey)} has no balance, so no stake`)
    }
    const vrfKey = toHex(pool.vrfKey)
    if (vrfKeys.has(vrfKey)) throw new ConfigError(`genesis: pools: VRF key ${vrfKey} is used by two pools`)
    vrfKeys.add(vrfKey)
  }
  let supply = 0n
  for (const amount of balances.values()) supply += amount
  if (supply >= MAX_SUPPLY) {
    throw new ConfigError(`genesis: balances: total supply ${supply} must be below 2^64 (${MAX_SUPPLY})`)
  }
  const window = stabilityWindow(g.k, g.activeSlotCoeff)
  if (g.mode === 'praos' && g.epochLength <= window) {
    throw new ConfigError(
      `genesis: epochLength: must be greater than 3k/f = ${window} slots (k = ${g.k}, f = ${g.activeSlotCoeff.numerator}/${g.activeSlotCoeff.denominator}), so that each epoch nonce is fixed after the stake snapshot it is used with; use at least ${window + 1}`,
    )
  }
  return { ...g, balances }
}

/** Every amount on the chain (balances, supply) stays below this: amounts are unsigned 64-bit integers. */
export const MAX_SUPPLY = 1n << 64n

/**
 * Praos's stability window, ⌈3k/f⌉ slots: a block this many slots old is settled. The epoch nonce
 * is frozen this long before its epoch starts.
 */
export function stabilityWindow(k: number, f: Rational): number {
  return Number((3n * BigInt(k) * f.denominator + f.numerator - 1n) / f.numerator)
}

/** A comfortable epoch length for devnets: the stability window plus a third of it for the nonce to mix. */
export function devnetEpochLength(k: number, f: Rational): number {
  const window = stabilityWindow(k, f)
  return window + Math.ceil(window / 3)
}

/** The genesis file's JSON form (inverse of parseGenesis). */
export function genesisToJson(g: Genesis): GenesisJson {
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return {
    chainId: g.chainId,
    genesisTime: g.genesisTime,
    slotMs: g.slotMs,
    epochLength: g.epochLength,
    k: g.k,
    activeSlotCoeff: `${g.activeSlotCoeff.numerator}/${g.activeSlotCoeff.denominator}`,
    maxBlockBytes: g.maxBlockBytes,
    maxTxPerBlock: g.maxTxPerBlock,
    mode: g.mode,
    protocolVersion: g.protocolVersion,
    // Left out at its default: a chain without a minimum fee keeps the genesis hash it always had.
    ...(g.minFee > 0n && { minFee: g.minFee.toString() }),
    balances: Object.fromEntries([...g.balances].map(([a, b]) => [a, b.toString()])),
    pools: g.pools.map((p) => ({ publicKey: hex(p.publicKey), vrfKey: hex(p.vrfKey) })),
    bftKeys: g.bftKeys.map(hex),
  }
}

const hashes = new WeakMap<Genesis, Uint8Array>()

/** The bytes the genesis hash is taken over: the DAG-CBOR encoding of the genesis file's JSON form. */
export function encodeGenesis(g: Genesis): Uint8Array {
  // Everything but the balances through the general encoder, with an empty balances map that the
  // balances (often the bulk: up to millions of entries) then replace, encoded directly.
  const { balances, ...rest } = genesisToJson(g)
  const frame = encodeCbor({ ...rest, balances: {} })
  const marker = encodeCbor({ balances: {} }).subarray(1) // the key "balances" and an empty map
  const at = indexOf(frame, marker) + marker.length - 1
  const map = encodeStringMap(balances)
  return concatBytes(frame.subarray(0, at), map, frame.subarray(at + 1))
}

/** The genesis hash: parent of block 1, and the chain's identity in stores and handshakes. */
export function genesisHash(g: Genesis): Uint8Array {
  // Computed once per genesis object: a genesis of a million accounts is tens of MB to hash.
  let id = hashes.get(g)
  if (id === undefined) {
    id = hash(encodeGenesis(g))
    hashes.set(g, id)
  }
  return id
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return i
  }
  throw new Error('genesis encoding: balances field not found')
}
