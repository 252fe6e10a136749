import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { nodePlatform } from '../platform/node/index.ts'
import { StoreFullError, StoreUnavailableError } from '../src/errors.ts'
import { skipStrongPath } from './support/strong-path.ts'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

describe('LevelDB store (Node)', () => {
  it('refuses a second opener of the same store with a clear error', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pp-lock-'))
    const platform = nodePlatform({ dataDir })
    const first = await platform.openStore('chain')
    const error = await rejection(platform.openStore('chain'))
    expect(error).to.be.instanceOf(StoreUnavailableError)
    expect((error as Error).message).to.match(/cannot open store .*chain/)
    await first.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('reports StoreFullError when the disk is full', async function () {
    const mountPoint = await mkdtemp(join(tmpdir(), 'pp-full-'))
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint], { stdio: 'ignore' })
    } catch (err) {
      await rm(mountPoint, { recursive: true, force: true })
      // Mounting a small disk needs root; CI runs as root.
      skipStrongPath(this, `cannot mount a 512 KiB tmpfs (${(err as Error).message.split('\n')[0]})`)
    }
    const store = await nodePlatform({ dataDir: mountPoint }).openStore('chain')
    try {
      const value = new Uint8Array(64 * 1024).fill(7)
      let error: unknown
      for (let i = 0; i < 64 && error === undefined; i++) {
        error = await store.batch([{ type: 'put', key: `k${i}`, value }]).then(
          () => undefined,
          (err: unknown) => err,
        )
      }
      expect(error).to.be.instanceOf(StoreFullError)
      expect((error as StoreFullError).code).to.equal('STORE_FULL')
    } finally {
      await store.close().catch(() => {})
      execFileSync('umount', [mountPoint])
      await rm(mountPoint, { recursive: true, force: true })
    }
  })
})
