import { ed25519 } from '@noble/curves/ed25519.js'
import { expect } from 'chai'
import { createStore } from 'idb-keyval'
import { removeAbandonedStores } from '../demo/tab-identity.ts'
import { claimWallet, exportWallet, type HeldWallet, importWallet } from '../demo/wallet-keeper.ts'
import { browserPlatform } from '../platform/browser/index.ts'
import { addressOf } from '../src/ledger/address.ts'

/** A wallet record of its own for each test (the demo's is one per origin). */
const freshStore = () => createStore(`pp-wallets-test-${crypto.randomUUID()}`, 'wallets')

/** Deletes every IndexedDB database of a tab's node, as the demo does a day after the tab closed. */
async function deleteNodeData(prefix: string): Promise<void> {
  for (const db of await indexedDB.databases())
    if (db.name?.startsWith(prefix))
      await new Promise((resolve, reject) => {
        const request = indexedDB.deleteDatabase(db.name as string)
        request.onsuccess = resolve
        request.onerror = () => reject(request.error)
      })
}

describe('demo wallet: kept apart from the tab, never lost', () => {
  const held: HeldWallet[] = []
  beforeEach(() => sessionStorage.removeItem('pp-wallet'))
  afterEach(() => {
    for (const wallet of held.splice(0)) wallet.release()
  })

  it("survives the tab's node data being deleted: the next tab gets the same keys back", async () => {
    const store = freshStore()
    const prefix = `pp-tab-${crypto.randomUUID().slice(0, 8)}-`
    // The tab's node wrote its chain store (closed now, as a closed tab's is).
    const chain = await (await browserPlatform({ prefix })).openStore('chain')
    await chain.batch([{ type: 'put', key: 'tip', value: new Uint8Array([1, 2, 3]) }])
    await chain.close()
    const first = await claimWallet(undefined, store)
    first.release()
    await deleteNodeData(prefix)
    expect((await indexedDB.databases()).some((db) => db.name?.startsWith(prefix))).to.equal(false)
    sessionStorage.removeItem('pp-wallet') // a new tab: no memory of the last one
    const again = await claimWallet(undefined, store)
    held.push(again)
    expect(again.address).to.equal(first.address)
    expect(again.secret).to.deep.equal(first.secret)
    expect(again.vrfSecret).to.deep.equal(first.vrfSecret)
  })

  it("the demo's clean-up of closed tabs leaves the wallet record alone", async () => {
    await claimWallet(undefined).then((w) => held.push(w))
    await removeAbandonedStores('none')
    expect((await indexedDB.databases()).map((db) => db.name)).to.include('pp-wallets')
  })

  it('two open tabs never share a wallet (one producer key each); a released one is reused', async () => {
    const store = freshStore()
    const a = await claimWallet(undefined, store)
    sessionStorage.removeItem('pp-wallet')
    const b = await claimWallet(undefined, store)
    held.push(b)
    expect(b.address).to.not.equal(a.address)
    a.release()
    sessionStorage.removeItem('pp-wallet')
    const c = await claimWallet(undefined, store)
    held.push(c)
    expect(c.address).to.equal(a.address)
  })

  it("moves a wallet an earlier version kept in the tab's records", async () => {
    const store = freshStore()
    const keys = new Uint8Array([...ed25519.utils.randomSecretKey(), ...ed25519.utils.randomSecretKey()])
    const wallet = await claimWallet(async () => keys, store)
    wallet.release()
    expect(wallet.address).to.equal(addressOf(ed25519.getPublicKey(keys.slice(0, 32))))
    sessionStorage.removeItem('pp-wallet')
    const again = await claimWallet(async () => undefined, store)
    held.push(again)
    expect(again.address).to.equal(wallet.address)
  })

  it('a backup restores the wallet anywhere; this tab uses it next; a tampered backup is refused', async () => {
    const original = await claimWallet(undefined, freshStore())
    original.release()
    const backup = exportWallet(original)
    const elsewhere = freshStore()
    expect(await importWallet(backup, elsewhere)).to.equal(original.address)
    const restored = await claimWallet(undefined, elsewhere)
    held.push(restored)
    expect(restored.secret).to.deep.equal(original.secret)
    expect(restored.vrfSecret).to.deep.equal(original.vrfSecret)

    const parsed = JSON.parse(backup)
    const other = { ...parsed, secret: parsed.vrfSecret }
    for (const [text, says] of [
      ['not json', 'JSON'],
      [JSON.stringify({ ...parsed, format: 'x' }), 'pp-wallet/1'],
      [JSON.stringify({ ...parsed, secret: 'ab' }), 'secret is not 32 bytes'],
      [JSON.stringify(other), 'belong to'],
    ] as const) {
      const err = await importWallet(text, freshStore()).then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      )
      expect(err?.code, text).to.equal('BAD_WALLET_BACKUP')
      expect(err?.message).to.include(says)
    }
  })
})
