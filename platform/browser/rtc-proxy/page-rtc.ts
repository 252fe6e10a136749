// The page's half of a worker node's WebRTC: makes the real RTCPeerConnections and data channels
// the worker asks for, and reports their events and state back.
import type { DcState, PageToWorker, PcState, WorkerToPage } from './messages.ts'

/** Reads a peer connection's state for the worker's mirror. */
function pcStateOf(pc: RTCPeerConnection): PcState {
  const desc = (d: RTCSessionDescription | null) => (d === null ? null : { type: d.type, sdp: d.sdp })
  return {
    connectionState: pc.connectionState,
    iceConnectionState: pc.iceConnectionState,
    iceGatheringState: pc.iceGatheringState,
    signalingState: pc.signalingState,
    localDescription: desc(pc.localDescription),
    remoteDescription: desc(pc.remoteDescription),
  }
}

function dcState(dc: RTCDataChannel): DcState {
  return { id: dc.id, readyState: dc.readyState, label: dc.label, protocol: dc.protocol }
}

/** Turns what a method resolved with into something a worker can receive. */
function cloneable(value: unknown): unknown {
  if (value instanceof RTCStatsReport) return new Map(value)
  const json = (value as { toJSON?: () => unknown } | undefined)?.toJSON
  return typeof json === 'function' ? json.call(value) : value
}

/**
 * Serves a worker's WebRTC on this page through `port` until the port closes; returns a function
 * that closes every connection it made.
 */
export function serveRtc(port: MessagePort): () => void {
  const pcs = new Map<number, RTCPeerConnection>()
  const channels = new Map<number, { dc: RTCDataChannel; pc: number; handled: number; acking: boolean }>()
  const certificates = new Map<number, RTCCertificate>()
  let nextCertificate = 1
  let nextIncoming = -1
  const post = (message: PageToWorker, transfer: Transferable[] = []) => port.postMessage(message, transfer)

  const ack = (dc: number) => {
    const entry = channels.get(dc)
    if (entry === undefined || entry.acking) return
    entry.acking = true
    queueMicrotask(() => {
      entry.acking = false
      post({ op: 'dc:ack', dc, handled: entry.handled, buffered: entry.dc.bufferedAmount })
    })
  }

  const adopt = (pc: number, id: number, dc: RTCDataChannel) => {
    dc.binaryType = 'arraybuffer'
    channels.set(id, { dc, pc, handled: 0, acking: false })
    const report = (type: string, extra: { data?: ArrayBuffer | string; error?: string } = {}) => {
      const transfer = extra.data instanceof ArrayBuffer ? [extra.data] : []
      const connection = type === 'message' ? undefined : pcs.get(pc)
      const pcState = connection && { pcState: pcStateOf(connection) }
      post({ op: 'dc:event', dc: id, type, state: dcState(dc), ...extra, ...pcState }, transfer)
    }
    dc.addEventListener('open', () => report('open'))
    dc.addEventListener('closing', () => report('closing'))
    dc.addEventListener('close', () => {
      channels.delete(id)
      report('close')
    })
    dc.addEventListener('error', (event) =>
      report('error', { error: (event as RTCErrorEvent).error?.message ?? 'error' }),
    )
    dc.addEventListener('message', (event: MessageEvent<ArrayBuffer | string>) =>
      report('message', { data: event.data }),
    )
    dc.addEventListener('bufferedamountlow', () => ack(id))
  }

  const handle = async (m: WorkerToPage): Promise<void> => {
    switch (m.op) {
      case 'pc:new': {
        const { certificateIds, ...config } = m.config
        const certs = (certificateIds ?? []).flatMap((id) => certificates.get(id) ?? [])
        const pc = new RTCPeerConnection(certs.length > 0 ? { ...config, certificates: certs } : config)
        pcs.set(m.pc, pc)
        const report = (type: string, fields?: Record<string, unknown>) =>
          post({ op: 'pc:event', pc: m.pc, type, state: pcStateOf(pc), ...(fields && { fields }) })
        pc.addEventListener('icecandidate', (e) =>
          report('icecandidate', { candidate: e.candidate?.toJSON() ?? null }),
        )
        pc.addEventListener('icecandidateerror', (e) => {
          const { errorText, errorCode, url, address, port } = e as RTCPeerConnectionIceErrorEvent
          report('icecandidateerror', { errorText, errorCode, url, address, port })
        })
        for (const type of [
          'connectionstatechange',
          'iceconnectionstatechange',
          'icegatheringstatechange',
          'signalingstatechange',
          'negotiationneeded',
        ])
          pc.addEventListener(type, () => report(type))
        pc.addEventListener('datachannel', ({ channel }) => {
          const id = nextIncoming--
          adopt(m.pc, id, channel)
          post({ op: 'pc:datachannel', pc: m.pc, dc: id, state: dcState(channel) })
        })
        return
      }
      case 'pc:call': {
        const pc = pcs.get(m.pc)
        try {
          if (pc === undefined) throw new DOMException('the peer connection is closed', 'InvalidStateError')
          const call = pc[m.method] as (...args: unknown[]) => Promise<unknown>
          const value = cloneable(await call.apply(pc, m.args))
          post({ op: 'result', call: m.call, value, state: pcStateOf(pc) })
        } catch (err) {
          const { name, message } = err as Error
          post({ op: 'result', call: m.call, error: { name, message }, ...(pc && { state: pcStateOf(pc) }) })
        }
        return
      }
      case 'pc:close': {
        pcs.get(m.pc)?.close()
        pcs.delete(m.pc)
        for (const [id, entry] of channels) if (entry.pc === m.pc) channels.delete(id)
        return
      }
      case 'cert:new': {
        try {
          const certificateId = nextCertificate++
          certificates.set(certificateId, await RTCPeerConnection.generateCertificate(m.keygen))
          post({ op: 'result', call: m.call, value: { certificateId } })
        } catch (err) {
          const { name, message } = err as Error
          post({ op: 'result', call: m.call, error: { name, message } })
        }
        return
      }
      case 'dc:new': {
        const pc = pcs.get(m.pc)
        if (pc === undefined) return
        adopt(m.pc, m.dc, pc.createDataChannel(m.label, m.init))
        return
      }
      case 'dc:send': {
        const entry = channels.get(m.dc)
        if (entry === undefined) return
        entry.handled += typeof m.data === 'string' ? m.data.length : m.data.byteLength
        try {
          entry.dc.send(m.data as ArrayBuffer)
        } catch {
          // Closing under the worker's feet: the worker learns it from the channel's close event.
        }
        ack(m.dc)
        return
      }
      case 'dc:threshold': {
        const entry = channels.get(m.dc)
        if (entry) entry.dc.bufferedAmountLowThreshold = m.value
        return
      }
      case 'dc:close':
        channels.get(m.dc)?.dc.close()
        return
    }
  }

  port.onmessage = ({ data }: MessageEvent<WorkerToPage>) => void handle(data)
  return () => {
    for (const pc of pcs.values()) pc.close()
    pcs.clear()
    channels.clear()
    port.close()
  }
}
