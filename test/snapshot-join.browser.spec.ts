// A tab that joins from a checkpoint: the state after that block comes in checked chunks over the
// relay's WebSocket, is staged and installed in IndexedDB, and the tab follows the tip from there.
import { executeServerCommand } from '@web/test-runner-commands'
import { expect } from 'chai'
import { joinRelay } from '../platform/browser/join-relay.ts'
import { toHex } from '../src/encoding/hash.ts'
import type { PPNode } from '../src/node.ts'
import { waitFor } from './support/network-fixtures.ts'

describe('a tab joins from a checkpoint (snapshot sync over WebSocket, IndexedDB)', function () {
  this.timeout(240_000)
  let node: PPNode | undefined
  after(async () => {
    await node?.stop()
    await executeServerCommand('snapshot-relay-stop')
  })

  it("starts at the relay's snapshot point with the state checked chunk by chunk, keeps nothing older, and follows the tip", async () => {
    const relay = await executeServerCommand<{ httpUrl: string }, undefined>('snapshot-relay')
    if (relay === undefined) throw new Error('the test runner has no snapshot relay')
    const checkpoint = async () => (await (await fetch(`${relay.httpUrl}/checkpoint`)).json()).checkpoint
    for (const deadline = Date.now() + 90_000; (await checkpoint()) === null; ) {
      if (Date.now() > deadline) throw new Error('the snapshot relay named no checkpoint in 90 s')
      await new Promise((r) => setTimeout(r, 500))
    }
    const progress: number[] = []
    node = await joinRelay({
      relay: relay.httpUrl,
      checkpoint: 'relay',
      prefix: `pp-snapshot-${Date.now()}-`,
    })
    node.addEventListener('snapshot:progress', (e) => progress.push(e.detail.done))
    await node.start()
    const joined = node.chainStore
    expect(progress.at(-1)).to.equal(1024)
    expect(joined.horizon).to.be.at.least(100)
    // The block it starts at is the relay's block of that height (the checkpoint the relay named).
    expect(joined.horizon % 100).to.equal(0)
    const start = await joined.hashAt(joined.horizon)
    const [theirs] = await (await fetch(`${relay.httpUrl}/blocks?from=${joined.horizon}&count=1`)).json()
    expect(start && toHex(start)).to.equal(theirs.hash)
    expect(await joined.getBlocks(1, 1).catch((e) => e.code)).to.equal('HISTORY_PRUNED')
    const status = async () => (await (await fetch(`${relay.httpUrl}/status`)).json()).tip.index as number
    const target = await status()
    await waitFor(() => node!.getState().tip.index >= target, `the tab to reach block ${target}`, 60_000)
  })
})
