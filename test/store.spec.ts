import { expect } from 'chai'
import { StoreUnavailableError } from '../src/errors.ts'
import type { Store } from '../src/ports.ts'
import { type TestPlatform, testPlatform } from './support/test-platform.ts'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value)

async function collect(iterable: AsyncIterable<[string, Uint8Array]>): Promise<string[]> {
  const out: string[] = []
  for await (const [key, value] of iterable) out.push(`${key}=${text(value)}`)
  return out
}

describe('storage contract', () => {
  let env: TestPlatform
  let store: Store

  beforeEach(async () => {
    env = await testPlatform()
    store = await env.platform.openStore('contract')
  })

  afterEach(async () => {
    await store.close()
    await env.dispose()
  })

  it('returns undefined for a missing key and the bytes written for a present one', async () => {
    expect(await store.get('nope')).to.equal(undefined)
    await store.batch([{ type: 'put', key: 'k', value: Uint8Array.from([0, 1, 255]) }])
    expect(Array.from((await store.get('k'))!)).to.deep.equal([0, 1, 255])
  })

  it('iterates keys in byte order whatever the insertion order, forwards and in reverse', async () => {
    await store.batch(
      ['b/2', 'a/9', 'b/10', 'b/1', 'c'].map((key) => ({ type: 'put', key, value: bytes(key) })),
    )
    expect(await collect(store.entries())).to.deep.equal([
      'a/9=a/9',
      'b/1=b/1',
      'b/10=b/10',
      'b/2=b/2',
      'c=c',
    ])
    expect(await collect(store.entries({ reverse: true, limit: 2 }))).to.deep.equal(['c=c', 'b/2=b/2'])
  })

  it('iterates by prefix and by range', async () => {
    const keys = ['h/0001', 'h/0002', 'h/0003', 'hash/x', 'i/0001']
    await store.batch(keys.map((key) => ({ type: 'put', key, value: bytes('v') })))
    const prefixed = (await collect(store.entries({ prefix: 'h/' }))).map((e) => e.split('=')[0])
    expect(prefixed).to.deep.equal(['h/0001', 'h/0002', 'h/0003'])
    const ranged = (await collect(store.entries({ gte: 'h/0002', lt: 'i' }))).map((e) => e.split('=')[0])
    expect(ranged).to.deep.equal(['h/0002', 'h/0003', 'hash/x'])
  })

  it('applies a batch of puts and deletes together', async () => {
    await store.batch([
      { type: 'put', key: 'a', value: bytes('1') },
      { type: 'put', key: 'b', value: bytes('2') },
    ])
    await store.batch([
      { type: 'del', key: 'a' },
      { type: 'put', key: 'b', value: bytes('3') },
      { type: 'put', key: 'c', value: bytes('4') },
    ])
    expect(await collect(store.entries())).to.deep.equal(['b=3', 'c=4'])
  })

  it('writes nothing of a batch that fails', async () => {
    await store.batch([{ type: 'put', key: 'before', value: bytes('x') }])
    const bad = [
      { type: 'put', key: 'half', value: bytes('y') },
      { type: 'put', key: undefined as unknown as string, value: bytes('z') },
    ] as const
    let failed = false
    try {
      await store.batch([...bad])
    } catch {
      failed = true
    }
    expect(failed).to.equal(true)
    expect(await collect(store.entries())).to.deep.equal(['before=x'])
  })

  it('keeps its data when closed and opened again', async () => {
    await store.batch([{ type: 'put', key: 'kept', value: bytes('yes') }])
    await store.close()
    store = await env.platform.openStore('contract')
    expect(text(await store.get('kept'))).to.equal('yes')
  })

  it('keeps stores of different names apart', async () => {
    const other = await env.platform.openStore('other')
    await other.batch([{ type: 'put', key: 'k', value: bytes('other') }])
    expect(await store.get('k')).to.equal(undefined)
    await other.close()
  })

  it('clears every entry', async () => {
    await store.batch([{ type: 'put', key: 'x', value: bytes('1') }])
    await store.clear()
    expect(await collect(store.entries())).to.deep.equal([])
  })

  it('fails with StoreUnavailableError once closed', async () => {
    await store.close()
    let error: unknown
    try {
      await store.get('x')
    } catch (err) {
      error = err
    }
    expect(error).to.be.instanceOf(StoreUnavailableError)
    expect((error as StoreUnavailableError).code).to.equal('STORE_UNAVAILABLE')
    store = await env.platform.openStore('contract')
  })
})
