// What a worker's stand-in RTCPeerConnection and the page that holds the real one say to each
// other over one MessagePort: RTCPeerConnection exists only on a page (not in workers, in Chromium
// nor Firefox), so a node in a worker does its WebRTC through the page.

/** The state of a peer connection the worker mirrors; sent with every event and call result. */
export interface PcState {
  connectionState: RTCPeerConnectionState
  iceConnectionState: RTCIceConnectionState
  iceGatheringState: RTCIceGatheringState
  signalingState: RTCSignalingState
  localDescription: RTCSessionDescriptionInit | null
  remoteDescription: RTCSessionDescriptionInit | null
}

/** The state of a data channel the worker mirrors. */
export interface DcState {
  id: number | null
  readyState: RTCDataChannelState
  label: string
  protocol: string
}

/** A certificate made on the page, named by number: RTCCertificate cannot enter a worker. */
export interface CertificateHandle {
  certificateId: number
}

/** Worker → page. Ids the worker gives are positive; channels the page reports are negative. */
export type WorkerToPage =
  | { op: 'pc:new'; pc: number; config: RTCConfiguration & { certificateIds?: number[] } }
  | { op: 'pc:call'; pc: number; call: number; method: PcMethod; args: unknown[] }
  | { op: 'pc:close'; pc: number }
  | { op: 'cert:new'; call: number; keygen: AlgorithmIdentifier | EcKeyGenParams }
  | { op: 'dc:new'; pc: number; dc: number; label: string; init: RTCDataChannelInit }
  | { op: 'dc:send'; dc: number; data: ArrayBuffer | string }
  | { op: 'dc:threshold'; dc: number; value: number }
  | { op: 'dc:close'; dc: number }

/** Page → worker. */
export type PageToWorker =
  | {
      op: 'result'
      call: number
      value?: unknown
      error?: { name: string; message: string }
      state?: PcState
    }
  | { op: 'pc:event'; pc: number; type: string; state: PcState; fields?: Record<string, unknown> }
  | { op: 'pc:datachannel'; pc: number; dc: number; state: DcState }
  | {
      op: 'dc:event'
      dc: number
      type: string
      state: DcState
      data?: ArrayBuffer | string
      error?: string
      /** Its connection's state, as of a channel's open, closing, close and error. */
      pcState?: PcState
    }
  | { op: 'dc:ack'; dc: number; handled: number; buffered: number }

/** The peer connection methods the worker calls on the page (all asynchronous). */
export type PcMethod =
  | 'createOffer'
  | 'createAnswer'
  | 'setLocalDescription'
  | 'setRemoteDescription'
  | 'addIceCandidate'
  | 'getStats'
