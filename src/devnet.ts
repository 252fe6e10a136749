import { vrfPublicKey } from './crypto/vrf.ts'
import { toHex } from './encoding/hash.ts'
import { devnetEpochLength, type Genesis, type GenesisJson, parseGenesis } from './genesis.ts'
import { addressOf } from './ledger/address.ts'
import { STATE_ROOT_VERSION } from './ledger/block.ts'
import type { CryptoPort } from './ports.ts'

/** The secrets of one devnet producer. */
export interface DevnetProducer {
  secret: Uint8Array
  vrfSecret: Uint8Array
  publicKey: Uint8Array
  address: string
}

/** Options for a fresh local devnet. */
export interface DevnetOptions {
  mode?: 'praos' | 'bft'
  producers?: number
  chainId?: string
  slotMs?: number
  /** Default: the stability window 3k/f plus a third (Praos needs more than 3k/f). */
  epochLength?: number
  /** Default 5. */
  k?: number
  activeSlotCoeff?: string
  /** Unix ms of slot 0 (default: now, rounded down to a slot). */
  genesisTime?: number
  /** Balance of each producer (default 1,000,000,000). */
  stake?: bigint
  /** Where fresh secrets come from (default: crypto.getRandomValues). */
  random?: (bytes: number) => Uint8Array
  /** Also make a faucet account (not a pool) holding a tenth of the supply (default false). */
  faucet?: boolean
}

/** A devnet account that is not a producer: its secret, public key and address. */
export interface DevnetAccount {
  secret: Uint8Array
  publicKey: Uint8Array
  address: string
}

const randomBytes = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n))

/** A new devnet: a genesis whose producers hold all the stake, and their secrets. */
export async function makeDevnet(
  options: DevnetOptions,
  cryptoPort: CryptoPort,
): Promise<{ genesis: Genesis; producers: DevnetProducer[]; faucet?: DevnetAccount }> {
  const random = options.random ?? randomBytes
  const slotMs = options.slotMs ?? 1000
  const producers = await Promise.all(
    Array.from({ length: options.producers ?? 1 }, async () => {
      const secret = random(32)
      const publicKey = await cryptoPort.publicKey(secret)
      return { secret, vrfSecret: random(32), publicKey, address: addressOf(publicKey) }
    }),
  )
  const stake = (options.stake ?? 1_000_000_000n).toString()
  const faucet = options.faucet ? await account(random(32), cryptoPort) : undefined
  const balances: Record<string, string> = Object.fromEntries(producers.map((p) => [p.address, stake]))
  // A tenth of the supply: everything the faucet ever grants, to anyone, stays under 10 % of the stake.
  if (faucet) balances[faucet.address] = ((BigInt(stake) * BigInt(producers.length)) / 9n).toString()
  const k = options.k ?? 5
  const activeSlotCoeff = options.activeSlotCoeff ?? '1/2'
  const [numerator, denominator] = activeSlotCoeff.split('/').map(BigInt)
  const json: GenesisJson = {
    chainId: options.chainId ?? 'pp-devnet',
    genesisTime: options.genesisTime ?? Math.floor(Date.now() / slotMs) * slotMs,
    slotMs,
    epochLength: options.epochLength ?? devnetEpochLength(k, { numerator, denominator }),
    k,
    activeSlotCoeff,
    maxBlockBytes: 256 * 1024,
    maxTxPerBlock: 1000,
    mode: options.mode ?? 'praos',
    protocolVersion: STATE_ROOT_VERSION,
    balances,
    pools: producers.map((p) => ({
      publicKey: toHex(p.publicKey),
      vrfKey: toHex(vrfPublicKey(p.vrfSecret)),
    })),
    bftKeys: producers.map((p) => toHex(p.publicKey)),
  }
  return { genesis: parseGenesis(json), producers, ...(faucet && { faucet }) }
}

async function account(secret: Uint8Array, cryptoPort: CryptoPort): Promise<DevnetAccount> {
  const publicKey = await cryptoPort.publicKey(secret)
  return { secret, publicKey, address: addressOf(publicKey) }
}
