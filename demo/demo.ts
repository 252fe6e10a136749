// The demo page: this tab is a full pp-node (IndexedDB chain, WebSocket to the relay, WebRTC to
// other tabs) with a live view of slots, blocks, forks and peers, and a small wallet. The node runs
// in a dedicated worker (pp-node-worker.min.js): this page only draws and carries its WebRTC.
import { ed25519 } from '@noble/curves/ed25519.js'
import { browserCrypto } from '../platform/browser/crypto.ts'
import { browserPlatform } from '../platform/browser/index.ts'
import type { RelayClock } from '../platform/browser/relay-clock.ts'
import { joinRelayInWorker, type WorkerNode } from '../platform/browser/worker-node/worker-node.ts'
import { type Address, addressOf, parseAddress, signTransaction, toHex, vrfPublicKey } from '../src/index.ts'
import type { Account } from '../src/ledger/account-layers.ts'
import { confirmOnOwnChain, type ProvenBalance, readProvenBalance } from './proven-balance.ts'
import { claimTabId, removeAbandonedStores } from './tab-identity.ts'
import { SlotTimeline } from './timeline.ts'
import { showBackup } from './wallet-backup.ts'
import { claimWallet } from './wallet-keeper.ts'

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T
const config = (window as unknown as { PP_CONFIG?: { api?: string; genesisHash?: string } }).PP_CONFIG ?? {}
const relay = config.api || location.origin
const params = new URLSearchParams(location.search)
/** Relays the tab stays connected to: `?relays=<url>,<url>` in the page's address, else its own. */
const relays = params.get('relays')?.split(',').filter(Boolean) ?? [relay]
/** The chain the page pins: `?genesis=<hash>` in its address, else PP_CONFIG.genesisHash (none: the relays'). */
const genesisHash = params.get('genesis') || config.genesisHash || undefined

function log(text: string, bad = false): void {
  const item = document.createElement('li')
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`
  if (bad) item.className = 'bad'
  const list = $('log')
  list.prepend(item)
  while (list.children.length > 200) list.lastElementChild?.remove()
}

function message(text: string, ok: boolean): void {
  const el = $('wallet-message')
  el.textContent = text
  el.className = `message ${ok ? 'ok' : 'error'}`
}

/** The wallet an earlier version kept with this tab's node data (moved to the origin-wide wallet record). */
async function legacyWallet(prefix: string): Promise<Uint8Array | undefined> {
  const dbs = new Set((await indexedDB.databases()).map((db) => db.name))
  if (!dbs.has(`${prefix}records`) && !dbs.has(`${prefix}wallet`)) return undefined
  const platform = await browserPlatform({ prefix })
  const kept = await platform.records.get('wallet')
  if (kept !== undefined || !dbs.has(`${prefix}wallet`)) return kept
  const store = await platform.openStore('wallet')
  try {
    const secret = await store.get('secret')
    const vrfSecret = await store.get('vrfSecret')
    return secret && vrfSecret ? new Uint8Array([...secret, ...vrfSecret]) : undefined
  } finally {
    await store.close()
  }
}

/**
 * Asks the browser to keep this origin's data under storage pressure (it may say no: the chain
 * re-syncs, the wallet has its backup) and shows what the origin stores, every half minute.
 */
async function showStorage(): Promise<void> {
  const persisted = (await navigator.storage?.persist?.().catch(() => false)) ?? false
  const show = async () => {
    const { usage = 0, quota = 0 } = (await navigator.storage?.estimate?.()) ?? {}
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`
    $('storage').textContent = `${mb(usage)} of ${mb(quota)}${persisted ? ', persistent' : ''}`
  }
  await show()
  setInterval(show, 30_000)
}

async function main(): Promise<void> {
  const tabId = await claimTabId()
  const prefix = `pp-tab-${tabId}-`
  const wallet = await claimWallet(() => legacyWallet(prefix))
  const publicKey = ed25519.getPublicKey(wallet.secret)
  const address = wallet.address as Address
  $('address').textContent = address
  showBackup(wallet)
  let clock: RelayClock | undefined
  const node = await joinRelayInWorker({
    relays,
    prefix,
    producer: { secret: wallet.secret, vrfSecret: wallet.vrfSecret },
    ...(genesisHash && { genesisHash }),
    // A new tab starts from the relay's newest snapshot point, not from genesis.
    checkpoint: 'relay',
    onClock: (c) => (clock = c),
  })
  const crypto = await browserCrypto()
  if (clock && (clock.beyondBound || Math.abs(clock.measuredMs) > node.genesis.slotMs / 2)) {
    const off = `${(Math.abs(clock.measuredMs) / 1000).toFixed(1)} s ${clock.measuredMs > 0 ? 'behind' : 'ahead of'}`
    const warning = $('clock-warning')
    warning.textContent = clock.beyondBound
      ? `this computer's clock is ${off} the relays: the node moves its clock by ${(clock.maxOffsetMs / 1000).toFixed(1)} s at most, so it may miss blocks; please set this computer's clock right`
      : `this computer's clock is ${off} the relays; the node keeps the relays' time`
    warning.hidden = false
  }
  const timeline = new SlotTimeline($('timeline'), $('block-detail'), toHex(publicKey))
  let produced = 0
  let sync = { done: 0, total: 0 }
  let onChain = new Set<string>()
  let knownTip = 0
  let refreshing: Promise<void> | undefined
  let again = false

  /** Re-reads the best chain's last blocks (after reorgs, blocks left on the losing branch show as forks). */
  const refreshChain = async (): Promise<void> => {
    if (refreshing) {
      again = true
      return refreshing
    }
    refreshing = (async () => {
      do {
        again = false
        const tip = node.getState().tip.index
        const blocks = await node.getBlocks(Math.max(1, tip - 80), 81)
        onChain = new Set(blocks.map((b) => toHex(b.hash)))
        knownTip = tip
        for (const b of blocks) timeline.add(b)
      } while (again)
    })()
    await refreshing
    refreshing = undefined
  }
  /** Blocks each peer was first to bring us (a tab's own blocks reach its WebRTC peers directly). */
  const blocksFrom = new Map<string, number>()
  node.addEventListener('block:added', ({ detail: { block, produced: mine, from } }) => {
    timeline.add(block)
    if (from !== undefined) blocksFrom.set(from, (blocksFrom.get(from) ?? 0) + 1)
    if (mine) {
      produced++
      log(`produced block ${block.header.index} in slot ${block.header.slot}`)
    } else if (sync.done >= sync.total) {
      log(
        `block ${block.header.index} slot ${block.header.slot} by ${addressOf(block.header.issuer).slice(0, 12)}…`,
      )
    }
    void refreshChain()
  })
  node.addEventListener('block:rejected', ({ detail }) =>
    log(`rejected block ${detail.index}: ${detail.error.code} ${detail.error.message}`, true),
  )
  node.addEventListener('chain:reorg', ({ detail }) => log(`reorg: rolled back ${detail.depth} block(s)`))
  node.addEventListener('peer:connect', ({ detail: { peer } }) =>
    log(`peer joined ${peer.id.slice(-8)} over ${peer.transport}`),
  )
  node.addEventListener('peer:disconnect', ({ detail }) => log(`peer left ${detail.id.slice(-8)}`))
  node.addEventListener('tx:rejected', ({ detail }) =>
    log(`transaction refused: ${detail.error.code} ${detail.error.message}`, true),
  )
  node.addEventListener('sync:progress', ({ detail }) => {
    sync = detail
  })
  node.addEventListener('snapshot:progress', ({ detail }) => {
    $('sync-state').textContent = `snapshot ${detail.done}/${detail.total}`
    if (detail.done === detail.total)
      log(`state snapshot checked: ${detail.total} chunks against the block's state root`)
  })
  node.addEventListener('error', ({ detail }) => log(`error: ${detail.error.message}`, true))

  // The balance by proof at once, from the relay: the tab's own chain has it only once synced.
  let proven: ProvenBalance | undefined
  let confirmed: boolean | undefined
  let confirming = false
  readProvenBalance(relay, address).then(
    (read) => {
      proven = read
      log(
        `balance ${read.balance} proven at block ${read.index} against its state root (the relay's answer, checked before this tab's sync)`,
      )
    },
    (err: Error) => log(`no proven balance from the relay: ${err.message}`, true),
  )
  const confirmProven = async (): Promise<void> => {
    if (proven === undefined || confirmed !== undefined || confirming) return
    confirming = true
    try {
      confirmed = await confirmOnOwnChain(node, proven)
    } finally {
      confirming = false
    }
    if (confirmed === true)
      log(`the proven balance's block ${proven.index} and state root match this tab's own chain`)
    if (confirmed === false)
      log(
        `the relay's proof at block ${proven.index} does not match this tab's own chain: it was false`,
        true,
      )
  }

  await node.start()
  await refreshChain()
  log(
    `this tab is node ${tabId}; chain ${node.genesis.chainId} from IndexedDB at block ${node.getState().tip.index}`,
  )
  void removeAbandonedStores(tabId).then((n) => n > 0 && log(`removed ${n} store(s) of closed tabs`))
  void showStorage()

  /** The wallet's account, read from the worker between frames. */
  let account: Account = { balance: 0n, nonce: 0 }
  let reading = false
  const readAccount = () => {
    if (reading) return
    reading = true
    node.getAccount(address).then(
      (a) => {
        account = a
        reading = false
      },
      () => {
        reading = false
      },
    )
  }
  const render = (): void => {
    readAccount()
    const s = node.getState()
    const peers = node.getPeers()
    const lag = s.slot - s.tip.slot
    const syncing = s.syncing || sync.done < sync.total
    const state = peers.length === 0 ? 'connecting' : syncing ? 'syncing' : 'synced'
    $('status').dataset.state = state
    $('chain').textContent = `${s.chainId} (${node.genesis.mode})`
    $('slot').textContent = String(s.slot)
    $('epoch').textContent = String(s.epoch)
    const within = (Date.now() - node.genesis.genesisTime) % node.genesis.slotMs
    $('ring').style.strokeDashoffset = String(94.2 * (1 - within / node.genesis.slotMs))
    $('tip-index').textContent = String(s.tip.index)
    $('tip-hash').textContent = s.tip.hash.slice(0, 12)
    $('sync-state').textContent =
      state === 'syncing'
        ? `syncing ${sync.done}/${sync.total}`
        : state === 'connecting'
          ? 'connecting…'
          : `synced (${lag} slot${lag === 1 ? '' : 's'} since last block)`
    const bar = $<HTMLProgressElement>('sync-bar')
    bar.hidden = !syncing
    bar.value = sync.total > 0 ? sync.done / sync.total : 0
    // Until the tab's own chain reaches the proven block, the proven balance is the newer one.
    const ahead = proven !== undefined && proven.index > s.tip.index
    $('balance').textContent = (ahead ? proven!.balance : account.balance).toString()
    $('balance-proof').textContent = ahead ? `(proven at block ${proven!.index}, before this tab's sync)` : ''
    if (!ahead) void confirmProven()
    $('producer-state').textContent = account.vrfKey
      ? `registered stake pool (stake ${account.balance}); leads slots two epochs after registering`
      : 'not a producer yet'
    $('produced').textContent = String(produced)
    const counts = new Map<string, number>()
    for (const p of peers) counts.set(p.transport, (counts.get(p.transport) ?? 0) + 1)
    $('peer-counts').textContent = [...counts].map(([t, n]) => `${n} ${t}`).join(' · ')
    $('peers').innerHTML = peers
      .map((p) => {
        const blocks = blocksFrom.get(p.id) ?? 0
        return `<li data-transport="${p.transport}" data-blocks="${blocks}">${p.transport} ${p.direction} ${p.id} · ${blocks} blocks</li>`
      })
      .join('')
    timeline.render(s.slot, onChain, knownTip)
  }
  render()
  setInterval(render, 250)

  $('faucet').addEventListener('click', async () => {
    try {
      const res = await fetch(`${relay}/faucet`, { method: 'POST', body: JSON.stringify({ address }) })
      const body = await res.json()
      if (!res.ok) throw new Error(`${body.error.code}: ${body.error.message}`)
      message(`faucet sent ${body.amount}; it arrives with the next block`, true)
    } catch (err) {
      message((err as Error).message, false)
    }
  })
  const submit = async (
    build: (nonce: number) => Promise<Parameters<WorkerNode['submitTransaction']>[0]>,
    done: string,
  ) => {
    try {
      const { hash } = await node.submitTransaction(await build(await node.nextNonce(address)))
      message(`${done} (${hash.slice(0, 12)}…)`, true)
    } catch (err) {
      const e = err as Error & { code?: string }
      message(`${e.code ?? 'ERROR'}: ${e.message}`, false)
    }
  }
  $('register').addEventListener('click', () =>
    submit(
      (nonce) =>
        signTransaction(
          {
            type: 'register-pool',
            chainId: node.genesis.chainId,
            from: address,
            fee: node.genesis.minFee,
            nonce,
            vrfKey: vrfPublicKey(wallet.vrfSecret),
          },
          wallet.secret,
          crypto,
        ),
      'pool registration submitted',
    ),
  )
  $('send').addEventListener('submit', (event) => {
    event.preventDefault()
    const toText = $<HTMLInputElement>('send-to').value.trim()
    const amountText = $<HTMLInputElement>('send-amount').value.trim()
    void submit(
      async (nonce) => {
        const to = parseAddress(toText, 'recipient')
        if (!/^\d{1,30}$/.test(amountText) || BigInt(amountText) <= 0n)
          throw Object.assign(new Error('amount must be a whole number > 0'), { code: 'BAD_AMOUNT' })
        return signTransaction(
          {
            type: 'transfer',
            chainId: node.genesis.chainId,
            from: address,
            to,
            amount: BigInt(amountText),
            fee: node.genesis.minFee > 1n ? node.genesis.minFee : 1n,
            nonce,
          },
          wallet.secret,
          crypto,
        )
      },
      `sent ${amountText} to ${toText.slice(0, 12)}…`,
    )
  })
  addEventListener('pagehide', () => void node.stop())
}

main().catch((err: Error) => {
  $('status').dataset.state = 'failed'
  $('sync-state').textContent = `failed: ${err.message}`
  log(`failed to start: ${err.message}`, true)
})
