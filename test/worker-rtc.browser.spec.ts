import { expect } from 'chai'
import { serveRtc } from '../platform/browser/rtc-proxy/page-rtc.ts'

describe('WebRTC stand-ins in a worker, backed by the page', function () {
  this.timeout(60_000)

  it('a data channel between two stand-in connections carries 8 MiB intact, in order, with back-pressure, and closes', async () => {
    const total = 8 * 1024 * 1024
    const worker = new Worker(new URL('./support/rtc-worker.ts', import.meta.url), { type: 'module' })
    const channel = new MessageChannel()
    const stop = serveRtc(channel.port1)
    try {
      const answer = await new Promise<Record<string, unknown>>((resolve, reject) => {
        worker.onmessage = ({ data }) => resolve(data)
        worker.onerror = (e) => reject(new Error(`worker failed: ${e.message}`))
        worker.postMessage({ port: channel.port2, total }, [channel.port2])
      })
      expect(answer.error, String(answer.error)).to.equal(undefined)
      const r = answer.result as {
        states: { a: string; b: string; label: string; protocol: string; id: number | null }
        got: number
        mismatch: number
        lowEvents: number
        maxBuffered: number
        drained: number
        afterClose: { sent: string; a: string; received: string }
      }
      expect(r.states).to.deep.include({
        a: 'connected',
        b: 'connected',
        label: 'bytes',
        protocol: '/test/1',
      })
      expect(r.states.id).to.be.a('number')
      expect(r.got).to.equal(total)
      expect(r.mismatch, 'first byte out of order').to.equal(-1)
      // The sender filled past the high-water mark, waited for the page's channel to drain, and went on.
      expect(r.maxBuffered).to.be.greaterThan(1024 * 1024)
      expect(r.lowEvents).to.be.at.least(1)
      expect(r.afterClose).to.deep.equal({ sent: 'closed', a: 'closed', received: 'closed' })
    } finally {
      worker.terminate()
      stop()
    }
  })
})
