// Stand-ins for RTCPeerConnection, RTCDataChannel, RTCSessionDescription and RTCIceCandidate in a
// worker (which has none of them): each call goes to the page's real objects (page-rtc.ts) and
// each of their events comes back; the state libp2p reads synchronously is mirrored here.
// Importing this module installs them as the worker's globals; only a worker imports it.
import type { CertificateHandle, DcState, PageToWorker, PcMethod, PcState, WorkerToPage } from './messages.ts'

let port: MessagePort | undefined
const peerConnections = new Map<number, WorkerPeerConnection>()
const channels = new Map<number, WorkerDataChannel>()
const calls = new Map<
  number,
  { resolve: (v: unknown) => void; reject: (e: Error) => void; pc?: WorkerPeerConnection }
>()
let nextId = 1

function post(message: WorkerToPage, transfer: Transferable[] = []): void {
  port?.postMessage(message, transfer)
}

type Call = Extract<WorkerToPage, { call: number }>
type Question = Call extends infer C ? (C extends Call ? Omit<C, 'call'> : never) : never

function ask(message: Question, pc?: WorkerPeerConnection): Promise<unknown> {
  const call = nextId++
  return new Promise((resolve, reject) => {
    calls.set(call, { resolve, reject, ...(pc && { pc }) })
    post({ ...message, call } as WorkerToPage)
  })
}

/** What a value looks like on the page: descriptions and candidates travel as their JSON form. */
function plain(value: unknown): unknown {
  const json = (value as { toJSON?: () => unknown } | undefined)?.toJSON
  return typeof json === 'function' ? json.call(value) : value
}

/** An EventTarget that also calls its `on<type>` property, as WebRTC objects do. */
class HandlerTarget extends EventTarget {
  protected fire(event: Event): void {
    this.dispatchEvent(event)
    const handler = (this as unknown as Record<string, unknown>)[`on${event.type}`]
    if (typeof handler === 'function') handler.call(this, event)
  }
}

/** RTCSessionDescription in a worker: its type and SDP. */
export class WorkerSessionDescription {
  readonly type: RTCSdpType
  readonly sdp: string
  constructor(init: RTCSessionDescriptionInit) {
    this.type = init.type
    this.sdp = init.sdp ?? ''
  }
  toJSON(): RTCSessionDescriptionInit {
    return { type: this.type, sdp: this.sdp }
  }
}

/** RTCIceCandidate in a worker: the fields of its init. */
export class WorkerIceCandidate {
  readonly candidate: string
  readonly sdpMid: string | null
  readonly sdpMLineIndex: number | null
  readonly usernameFragment: string | null
  constructor(init: RTCIceCandidateInit = {}) {
    this.candidate = init.candidate ?? ''
    this.sdpMid = init.sdpMid ?? null
    this.sdpMLineIndex = init.sdpMLineIndex ?? null
    this.usernameFragment = init.usernameFragment ?? null
  }
  toJSON(): RTCIceCandidateInit {
    const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = this
    return { candidate, sdpMid, sdpMLineIndex, usernameFragment }
  }
}

/** RTCDataChannel in a worker; `bufferedAmount` counts what the page buffers plus what is on its way there. */
export class WorkerDataChannel extends HandlerTarget {
  id: number | null
  readyState: RTCDataChannelState
  readonly label: string
  readonly protocol: string
  binaryType: BinaryType = 'arraybuffer'
  onopen: ((e: Event) => void) | null = null
  onmessage: ((e: MessageEvent) => void) | null = null
  onclose: ((e: Event) => void) | null = null
  onclosing: ((e: Event) => void) | null = null
  onerror: ((e: Event) => void) | null = null
  onbufferedamountlow: ((e: Event) => void) | null = null
  readonly key: number
  readonly pc: number
  private posted = 0
  private handled = 0
  private pageBuffered = 0
  private threshold = 0

  constructor(key: number, pc: number, state: DcState) {
    super()
    this.key = key
    this.pc = pc
    this.id = state.id
    this.readyState = state.readyState
    this.label = state.label
    this.protocol = state.protocol
    channels.set(key, this)
  }

  get bufferedAmount(): number {
    return this.pageBuffered + this.posted - this.handled
  }

  get bufferedAmountLowThreshold(): number {
    return this.threshold
  }

  set bufferedAmountLowThreshold(value: number) {
    this.threshold = value
    post({ op: 'dc:threshold', dc: this.key, value })
  }

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== 'open')
      throw new DOMException(`data channel is ${this.readyState}`, 'InvalidStateError')
    if (typeof data === 'string') {
      this.posted += data.length
      post({ op: 'dc:send', dc: this.key, data })
      return
    }
    // A copy: the caller's buffer stays theirs, the copy moves to the page without another.
    const bytes = ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
      : new Uint8Array(data).slice()
    this.posted += bytes.byteLength
    post({ op: 'dc:send', dc: this.key, data: bytes.buffer }, [bytes.buffer])
  }

  close(): void {
    if (this.readyState === 'closing' || this.readyState === 'closed') return
    this.readyState = 'closing'
    post({ op: 'dc:close', dc: this.key })
  }

  /** Takes an event from the page's channel. */
  receive(m: Extract<PageToWorker, { op: 'dc:event' }>): void {
    this.id = m.state.id
    this.readyState = m.state.readyState
    if (m.type === 'close') channels.delete(this.key)
    if (m.type === 'message') this.fire(new MessageEvent('message', { data: m.data }))
    else if (m.type === 'error')
      this.fire(Object.assign(new Event('error'), { error: new DOMException(m.error, 'OperationError') }))
    else this.fire(new Event(m.type))
  }

  /** The page has handed `handled` bytes to its channel, which now buffers `buffered`. */
  acknowledge(handled: number, buffered: number): void {
    const before = this.bufferedAmount
    this.handled = handled
    this.pageBuffered = buffered
    if (before > this.threshold && this.bufferedAmount <= this.threshold)
      this.fire(new Event('bufferedamountlow'))
  }

  /** The peer connection closed: so did the channel, without an event (as in browsers). */
  drop(): void {
    this.readyState = 'closed'
    channels.delete(this.key)
  }
}

/** RTCPeerConnection in a worker, backed by a real one on the page. */
export class WorkerPeerConnection extends HandlerTarget {
  /** Makes a certificate on the page; the worker holds a handle to pass back in `certificates`. */
  static generateCertificate(keygen: AlgorithmIdentifier | EcKeyGenParams): Promise<CertificateHandle> {
    return ask({ op: 'cert:new', keygen }) as Promise<CertificateHandle>
  }

  readonly key = nextId++
  connectionState: RTCPeerConnectionState = 'new'
  iceConnectionState: RTCIceConnectionState = 'new'
  iceGatheringState: RTCIceGatheringState = 'new'
  signalingState: RTCSignalingState = 'stable'
  localDescription: RTCSessionDescriptionInit | null = null
  remoteDescription: RTCSessionDescriptionInit | null = null
  onicecandidate: ((e: Event) => void) | null = null
  onicecandidateerror: ((e: Event) => void) | null = null
  onconnectionstatechange: ((e: Event) => void) | null = null
  oniceconnectionstatechange: ((e: Event) => void) | null = null
  onicegatheringstatechange: ((e: Event) => void) | null = null
  onsignalingstatechange: ((e: Event) => void) | null = null
  onnegotiationneeded: ((e: Event) => void) | null = null
  ondatachannel: ((e: Event) => void) | null = null

  constructor(config: RTCConfiguration = {}) {
    super()
    const { certificates, ...rest } = config
    const certificateIds = (certificates ?? []).map((c) => (c as unknown as CertificateHandle).certificateId)
    peerConnections.set(this.key, this)
    post({ op: 'pc:new', pc: this.key, config: { ...rest, certificateIds } })
  }

  createOffer(options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit> {
    return this.call('createOffer', options) as Promise<RTCSessionDescriptionInit>
  }

  createAnswer(options?: RTCAnswerOptions): Promise<RTCSessionDescriptionInit> {
    return this.call('createAnswer', options) as Promise<RTCSessionDescriptionInit>
  }

  async setLocalDescription(description?: RTCSessionDescriptionInit): Promise<void> {
    await this.call('setLocalDescription', description)
  }

  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    await this.call('setRemoteDescription', description)
  }

  async addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
    await this.call('addIceCandidate', candidate)
  }

  getStats(): Promise<Map<string, unknown>> {
    return this.call('getStats') as Promise<Map<string, unknown>>
  }

  createDataChannel(label: string, init: RTCDataChannelInit = {}): WorkerDataChannel {
    if (this.signalingState === 'closed')
      throw new DOMException('the peer connection is closed', 'InvalidStateError')
    const channel = new WorkerDataChannel(nextId++, this.key, {
      id: init.id ?? null,
      readyState: 'connecting',
      label,
      protocol: init.protocol ?? '',
    })
    post({ op: 'dc:new', pc: this.key, dc: channel.key, label, init })
    return channel
  }

  close(): void {
    if (this.signalingState === 'closed') return
    this.signalingState = 'closed'
    this.connectionState = 'closed'
    this.iceConnectionState = 'closed'
    peerConnections.delete(this.key)
    for (const channel of channels.values()) if (channel.pc === this.key) channel.drop()
    post({ op: 'pc:close', pc: this.key })
  }

  /** Mirrors the page's state of this connection. */
  apply(state: PcState): void {
    if (this.signalingState === 'closed') return
    Object.assign(this, state)
  }

  /** Takes an event from the page's connection. */
  receive(m: Extract<PageToWorker, { op: 'pc:event' }>): void {
    this.apply(m.state)
    const event = new Event(m.type)
    if (m.type === 'icecandidate') {
      const init = m.fields?.candidate as RTCIceCandidateInit | null
      Object.assign(event, { candidate: init ? new WorkerIceCandidate(init) : null })
    } else if (m.fields) Object.assign(event, m.fields)
    this.fire(event)
  }

  /** The remote side opened a channel. */
  adopt(m: Extract<PageToWorker, { op: 'pc:datachannel' }>): void {
    const channel = new WorkerDataChannel(m.dc, this.key, m.state)
    this.fire(Object.assign(new Event('datachannel'), { channel }))
  }

  private call(method: PcMethod, ...args: unknown[]): Promise<unknown> {
    const given = args.filter((a) => a !== undefined).map(plain)
    return ask({ op: 'pc:call', pc: this.key, method, args: given }, this)
  }
}

function receive(m: PageToWorker): void {
  switch (m.op) {
    case 'result': {
      const pending = calls.get(m.call)
      if (pending === undefined) return
      calls.delete(m.call)
      if (m.state) pending.pc?.apply(m.state)
      if (m.error) pending.reject(new DOMException(m.error.message, m.error.name))
      else pending.resolve(m.value)
      return
    }
    case 'pc:event':
      peerConnections.get(m.pc)?.receive(m)
      return
    case 'pc:datachannel':
      peerConnections.get(m.pc)?.adopt(m)
      return
    case 'dc:event': {
      const channel = channels.get(m.dc)
      if (channel && m.pcState) peerConnections.get(channel.pc)?.apply(m.pcState)
      channel?.receive(m)
      return
    }
    case 'dc:ack':
      channels.get(m.dc)?.acknowledge(m.handled, m.buffered)
      return
  }
}

/**
 * Puts the stand-ins where libp2p looks for WebRTC, the worker's globals. Runs as this module loads
 * (libp2p's WebRTC transport reads the globals as it loads): import it before the transport.
 */
Object.assign(globalThis, {
  RTCPeerConnection: WorkerPeerConnection,
  RTCSessionDescription: WorkerSessionDescription,
  RTCIceCandidate: WorkerIceCandidate,
})

/** Sends the stand-ins' calls to the page through `pagePort` (see serveRtc) and takes its answers. */
export function connectRtc(pagePort: MessagePort): void {
  port = pagePort
  port.onmessage = ({ data }: MessageEvent<PageToWorker>) => receive(data)
}
