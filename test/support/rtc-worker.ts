// A module worker for test/worker-rtc.browser.spec.ts: connects two stand-in peer connections to
// each other through the page and pushes bytes over a data channel with libp2p's back-pressure rule.
import {
  connectRtc,
  type WorkerDataChannel,
  WorkerPeerConnection,
} from '../../platform/browser/rtc-proxy/worker-rtc.ts'

const CHUNK = 64 * 1024
/** Sends pause while this much waits in the channel (libp2p's rule: wait for bufferedamountlow). */
const HIGH_WATER = 1024 * 1024

const opened = (dc: WorkerDataChannel) =>
  new Promise<void>((resolve) =>
    dc.readyState === 'open' ? resolve() : dc.addEventListener('open', () => resolve()),
  )

async function run(total: number) {
  const a = new WorkerPeerConnection()
  const b = new WorkerPeerConnection()
  a.onicecandidate = (e) =>
    void b.addIceCandidate((e as Event & { candidate: RTCIceCandidateInit | null }).candidate)
  b.onicecandidate = (e) =>
    void a.addIceCandidate((e as Event & { candidate: RTCIceCandidateInit | null }).candidate)
  const sent = a.createDataChannel('bytes', { protocol: '/test/1' })
  const incoming = new Promise<WorkerDataChannel>((resolve) =>
    b.addEventListener('datachannel', (e) => resolve((e as Event & { channel: WorkerDataChannel }).channel)),
  )
  await a.setLocalDescription(await a.createOffer())
  await b.setRemoteDescription(a.localDescription!)
  await b.setLocalDescription(await b.createAnswer())
  await a.setRemoteDescription(b.localDescription!)
  const received = await incoming
  await Promise.all([opened(sent), opened(received)])
  // Chromium may open a channel before it reports the connection connected: the mirror follows the page.
  for (let i = 0; i < 500 && (a.connectionState !== 'connected' || b.connectionState !== 'connected'); i++)
    await new Promise((r) => setTimeout(r, 20))
  const states = {
    a: a.connectionState,
    b: b.connectionState,
    label: received.label,
    protocol: received.protocol,
    id: received.id,
  }

  let got = 0
  let mismatch = -1
  received.binaryType = 'arraybuffer'
  const done = new Promise<void>((resolve) => {
    received.onmessage = (e) => {
      const bytes = new Uint8Array(e.data as ArrayBuffer)
      for (let i = 0; i < bytes.length; i++)
        if (mismatch < 0 && bytes[i] !== (got + i) % 251) mismatch = got + i
      got += bytes.length
      if (got >= total) resolve()
    }
  })
  sent.bufferedAmountLowThreshold = 0
  let lowEvents = 0
  let maxBuffered = 0
  sent.onbufferedamountlow = () => lowEvents++
  for (let offset = 0; offset < total; offset += CHUNK) {
    if (sent.bufferedAmount > HIGH_WATER)
      await new Promise<void>((resolve) =>
        sent.addEventListener('bufferedamountlow', () => resolve(), { once: true }),
      )
    const chunk = new Uint8Array(Math.min(CHUNK, total - offset)).map((_, i) => (offset + i) % 251)
    // A view into a larger buffer, as libp2p hands over: only the view's bytes may travel.
    const padded = new Uint8Array(chunk.length + 16)
    padded.set(chunk, 8)
    sent.send(padded.subarray(8, 8 + chunk.length))
    maxBuffered = Math.max(maxBuffered, sent.bufferedAmount)
  }
  await done
  const closed = new Promise<string>((resolve) =>
    received.addEventListener('close', () => resolve(received.readyState)),
  )
  a.close()
  const afterClose = { sent: sent.readyState, a: a.connectionState, received: await closed }
  b.close()
  return { states, got, mismatch, lowEvents, maxBuffered, drained: sent.bufferedAmount, afterClose }
}

self.onmessage = async ({ data }: MessageEvent<{ port: MessagePort; total: number }>) => {
  connectRtc(data.port)
  try {
    self.postMessage({ result: await run(data.total) })
  } catch (err) {
    self.postMessage({ error: `${(err as Error).name}: ${(err as Error).message}` })
  }
}
