// The demo's wallets live in one origin-wide IndexedDB record of their own, apart from any tab's
// node data, and are never deleted with it: a tab's chain store is removed a day after the tab
// closes, its coins are not. Each open tab holds one wallet under a Web Lock, so two tabs never
// produce blocks with one key (that would be equivocation); a new tab takes a wallet no open tab
// holds before it makes a new one, so closing a tab and opening another gets the coins back.
import { ed25519 } from '@noble/curves/ed25519.js'
import { createStore, get, keys, set, type UseStore } from 'idb-keyval'
import { fromHex, toHex } from '../src/encoding/hash.ts'
import { addressOf } from '../src/ledger/address.ts'

/** A wallet's keys: the ed25519 signing seed and the VRF seed of its stake pool. */
export interface WalletKeys {
  secret: Uint8Array
  vrfSecret: Uint8Array
}

/** A wallet this page holds until it closes (or until `release`). */
export interface HeldWallet extends WalletKeys {
  address: string
  /** Lets another page of this origin take the wallet. */
  release(): void
}

/** Thrown when a wallet backup text is not one this page wrote, or its keys do not match its address. */
export class BadWalletBackupError extends Error {
  readonly code = 'BAD_WALLET_BACKUP'
  override readonly name = 'BadWalletBackupError'
}

const BACKUP_FORMAT = 'pp-wallet/1'
/** The wallet this tab used last (sessionStorage: kept across reloads of one tab). */
const PREFERRED = 'pp-wallet'

interface StoredWallet {
  keys: Uint8Array
  created: number
}

/** The origin-wide wallet record: its own database, which no tab clean-up touches. */
export function walletStore(): UseStore {
  return createStore('pp-wallets', 'wallets')
}

/**
 * Claims a wallet for this page: the one this tab used last, else any stored one no open page
 * holds (oldest first), else `legacy()` (a wallet an earlier version kept in the tab's own data),
 * else a new one. A wallet is stored before it is used, so a crash cannot lose it.
 */
export async function claimWallet(
  legacy: () => Promise<Uint8Array | undefined> = async () => undefined,
  store = walletStore(),
): Promise<HeldWallet> {
  const preferred = sessionStorage.getItem(PREFERRED)
  const stored = await storedWallets(store)
  const order = [
    ...stored.filter((w) => w.address === preferred),
    ...stored.filter((w) => w.address !== preferred),
  ]
  for (const wallet of order) {
    // After a reload the previous page may still hold the lock for a moment: wait for it then.
    const release = await holdLock(`pp-wallet-${wallet.address}`, wallet.address === preferred ? 3000 : 0)
    if (release !== undefined) return held(wallet.keys, release)
  }
  for (;;) {
    const keys =
      (await legacy()) ??
      new Uint8Array([...ed25519.utils.randomSecretKey(), ...ed25519.utils.randomSecretKey()])
    const address = addressOfKeys(keys)
    if ((await get<StoredWallet>(address, store)) === undefined)
      await set(address, { keys, created: Date.now() } satisfies StoredWallet, store)
    const release = await holdLock(`pp-wallet-${address}`, 0)
    if (release !== undefined) return held(keys, release)
    legacy = async () => undefined // the legacy wallet is held by another page: make a new one
  }
}

/** The text backup of a wallet: its address and both seeds, to keep somewhere safe. */
export function exportWallet(wallet: WalletKeys): string {
  const keys = new Uint8Array([...wallet.secret, ...wallet.vrfSecret])
  return JSON.stringify({
    format: BACKUP_FORMAT,
    address: addressOfKeys(keys),
    secret: toHex(wallet.secret),
    vrfSecret: toHex(wallet.vrfSecret),
  })
}

/**
 * Stores the wallet of a backup text (checked: format, seed lengths, address) and makes it the one
 * this tab claims next; returns its address.
 */
export async function importWallet(text: string, store = walletStore()): Promise<string> {
  let backup: Record<string, unknown>
  try {
    backup = JSON.parse(text)
  } catch {
    throw new BadWalletBackupError('a wallet backup is the JSON text "Export" shows')
  }
  if (backup === null || typeof backup !== 'object' || backup.format !== BACKUP_FORMAT)
    throw new BadWalletBackupError(`not a ${BACKUP_FORMAT} wallet backup`)
  const seed = (name: string) => {
    const value = backup[name]
    if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value))
      throw new BadWalletBackupError(`the backup's ${name} is not 32 bytes of hex`)
    return fromHex(value) as Uint8Array
  }
  const keys = new Uint8Array([...seed('secret'), ...seed('vrfSecret')])
  const address = addressOfKeys(keys)
  if (backup.address !== address)
    throw new BadWalletBackupError(`the backup's keys belong to ${address}, not ${String(backup.address)}`)
  if ((await get<StoredWallet>(address, store)) === undefined)
    await set(address, { keys, created: Date.now() } satisfies StoredWallet, store)
  sessionStorage.setItem(PREFERRED, address)
  return address
}

async function storedWallets(store: UseStore): Promise<Array<{ address: string; keys: Uint8Array }>> {
  const list: Array<{ address: string; keys: Uint8Array; created: number }> = []
  for (const address of await keys<string>(store)) {
    const wallet = await get<StoredWallet>(address, store)
    if (wallet !== undefined) list.push({ address, keys: wallet.keys, created: wallet.created })
  }
  return list.sort((a, b) => a.created - b.created)
}

function held(keys: Uint8Array, release: () => void): HeldWallet {
  const address = addressOfKeys(keys)
  sessionStorage.setItem(PREFERRED, address)
  return { address, secret: keys.slice(0, 32), vrfSecret: keys.slice(32, 64), release }
}

function addressOfKeys(keys: Uint8Array): string {
  return addressOf(ed25519.getPublicKey(keys.slice(0, 32)))
}

/** Takes a Web Lock, waiting at most `waitMs`; resolves with its release, or undefined when another page holds it. */
function holdLock(name: string, waitMs: number): Promise<(() => void) | undefined> {
  return new Promise((resolve) => {
    let release!: () => void
    const held = new Promise<void>((r) => {
      release = r
    })
    const options: LockOptions = waitMs > 0 ? { signal: AbortSignal.timeout(waitMs) } : { ifAvailable: true }
    navigator.locks
      .request(name, options, (lock) => {
        if (lock === null) {
          resolve(undefined)
          return
        }
        resolve(release)
        return held
      })
      .catch(() => resolve(undefined))
  })
}
