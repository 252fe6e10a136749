import { expect } from 'chai'
import { createNode, type PPNode } from '../src/node.ts'
import { bftGenesis, testKeys } from './support/chain-fixtures.ts'
import { withWriteFault } from './support/faulty-store.ts'
import { drivenPlatform, driveSlots } from './support/node-fixtures.ts'
import { environment, type TestPlatform, testPlatform } from './support/test-platform.ts'

// What the storage engine of each environment throws when it is full.
const fullError = (): Error =>
  environment === 'browser'
    ? new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    : Object.assign(new Error('IO error: /data/000005.log: No space left on device'), {
        code: 'LEVEL_IO_ERROR',
      })

describe(`storage faults (${environment})`, () => {
  let env: TestPlatform
  let node: PPNode | undefined

  beforeEach(async () => {
    env = await testPlatform()
  })
  afterEach(async () => {
    await node?.stop()
    node = undefined
    await env.dispose()
  })

  it('a full store stops production with a clear error event; the node keeps serving; it resumes when writes work', async () => {
    const keys = await testKeys(2, env.platform.crypto)
    const genesis = bftGenesis(keys)
    const fault = { failing: false }
    const { platform, clock } = drivenPlatform(withWriteFault(env.platform, fault, fullError), genesis)
    node = createNode({ genesis, producer: { secret: keys[0].secret } }, platform)
    const errors: string[] = []
    node.addEventListener('error', (e) =>
      errors.push(`${(e.detail.error as { code?: string }).code}: ${e.detail.error.message}`),
    )
    await node.start()
    await driveSlots(node, clock, genesis, 0, 4)
    expect(node.getState().tip.index).to.equal(5)

    fault.failing = true
    await driveSlots(node, clock, genesis, 5, 9)
    expect(node.getState().tip.index, 'nothing produced while the store is full').to.equal(5)
    expect(errors).to.have.length(5)
    expect(errors[0]).to.match(/^STORE_FULL: cannot write: storage is full/)
    // Still serving what it has: state, account queries and stored blocks.
    expect((await node.chainStore.getBlocks(1, 10)).map((b) => b.header.index)).to.deep.equal([1, 2, 3, 4, 5])
    expect(node.getAccount(keys[0].address).balance).to.equal(1000000n)

    fault.failing = false
    await driveSlots(node, clock, genesis, 10, 12)
    expect(node.getState().tip.index, 'producing again').to.equal(8)
    expect(errors).to.have.length(5)
  })
})
