import { expect } from 'chai'
import { browserPlatform } from '../platform/browser/index.ts'
import { toHex } from '../src/encoding/hash.ts'
import { applyBlock } from '../src/ledger/apply-block.ts'
import { ChainStore } from '../src/ledger/chain-store.ts'
import { genesisState } from '../src/ledger/genesis-state.ts'
import { bftGenesis, testKeys } from './support/chain-fixtures.ts'

interface Commit {
  index: number
  hash: string
}

/** Resolves with the last commit reported once `count` more commits have arrived from the frame. */
function commitsFrom(frame: HTMLIFrameElement, count: number): Promise<Commit> {
  return new Promise((resolve, reject) => {
    let seen = 0
    const timer = setTimeout(() => reject(new Error('the appender page stopped reporting commits')), 30_000)
    const onMessage = (event: MessageEvent): void => {
      if (event.source !== frame.contentWindow || typeof event.data?.committed !== 'number') return
      if (++seen < count) return
      clearTimeout(timer)
      removeEventListener('message', onMessage)
      resolve({ index: event.data.committed, hash: event.data.hash })
    }
    addEventListener('message', onMessage)
  })
}

describe('IndexedDB chain store survives page reloads (Chromium)', () => {
  it('reloading a page mid-append 5 times leaves the chain intact and consistent', async function () {
    this.timeout(120_000)
    const prefix = `pp-reload-${crypto.randomUUID()}-`
    const frame = document.createElement('iframe')
    frame.src = `/test/support/append-blocks-page.html?prefix=${prefix}`
    document.body.append(frame)
    let last: Commit = { index: 0, hash: '' }
    for (let round = 0; round < 5; round++) {
      last = await commitsFrom(frame, 3 + Math.floor(Math.random() * 10))
      // Let it run a random little while past that commit, then reload in the middle of whatever it is doing.
      await new Promise((r) => setTimeout(r, Math.random() * 30))
      if (round < 4) frame.contentWindow!.location.reload()
    }
    frame.remove()
    const platform = await browserPlatform({ prefix })
    const keys = await testKeys(3, platform.crypto)
    const genesis = bftGenesis(keys)
    const chain = await ChainStore.open(await platform.openStore('chain'), genesis)
    try {
      expect(chain.tip.index).to.be.at.least(last.index)
      expect(toHex((await chain.hashAt(last.index))!)).to.equal(last.hash)
      const blocks = await chain.getBlocks(1, chain.tip.index)
      expect(blocks.reduce((s, b) => applyBlock(s, b, genesis), genesisState(genesis))).to.deep.equal(
        chain.state,
      )
    } finally {
      await chain.close()
      for (const db of await indexedDB.databases())
        if (db.name?.startsWith(prefix)) indexedDB.deleteDatabase(db.name)
    }
  })
})
