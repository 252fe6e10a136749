// Ed25519 verification on Web Workers. Chromium runs WebCrypto's Ed25519 verify on the calling
// thread: 10,000 signatures of a synced run held a tab's page for over half a second. Workers keep
// the page free and verify on every core. Same engine (WebCrypto) as the page, so the same verdicts.
import type { SignedItem } from '../../src/ports.ts'

/** Items packed for a worker: key (32), signature (64) and message of each, back to back, and each message's length. */
interface Packed {
  id: number
  bytes: Uint8Array
  messageLengths: Uint32Array
}

/** True when an item's key and signature have Ed25519's sizes, as packing them needs. */
function wellSized(item: SignedItem): boolean {
  return item.publicKey.length === 32 && item.signature.length === 64
}

/** Packs items into one buffer that moves to a worker without a copy (cloning thousands of small arrays costs the page more). */
function pack(id: number, items: readonly SignedItem[]): Packed {
  let total = 0
  for (const item of items) total += 96 + item.message.length
  const bytes = new Uint8Array(total)
  const messageLengths = new Uint32Array(items.length)
  let at = 0
  for (const [i, { publicKey, signature, message }] of items.entries()) {
    bytes.set(publicKey, at)
    bytes.set(signature, at + 32)
    bytes.set(message, at + 96)
    messageLengths[i] = message.length
    at += 96 + message.length
  }
  return { id, bytes, messageLengths }
}

/** The workers' whole program: verifies each packed item with WebCrypto, answering false for any failure. */
function workerMain(): void {
  const scope = globalThis as unknown as {
    onmessage: (event: MessageEvent<Packed>) => void
    postMessage: (message: unknown) => void
  }
  const algorithm = { name: 'Ed25519' }
  const keys = new Map<string, Promise<CryptoKey>>()
  const keyOf = (raw: Uint8Array): Promise<CryptoKey> => {
    const id = Array.from(raw, (b) => b.toString(16).padStart(2, '0')).join('')
    let key = keys.get(id)
    if (key === undefined) {
      if (keys.size >= 4096) keys.clear()
      key = crypto.subtle.importKey('raw', raw.slice() as BufferSource, algorithm, false, ['verify'])
      keys.set(id, key)
    }
    return key
  }
  scope.onmessage = async ({ data: { id, bytes, messageLengths } }) => {
    let at = 0
    const results = await Promise.all(
      Array.from(messageLengths, async (length) => {
        const item = bytes.subarray(at, at + 96 + length)
        at += 96 + length
        try {
          const key = await keyOf(item.subarray(0, 32))
          return await crypto.subtle.verify(
            algorithm,
            key,
            item.subarray(32, 96) as BufferSource,
            item.subarray(96) as BufferSource,
          )
        } catch {
          return false
        }
      }),
    )
    scope.postMessage({ id, results })
  }
}

/** A request sent to one worker, waiting for its answer. */
interface Pending {
  items: readonly SignedItem[]
  resolve: (results: boolean[]) => void
}

/**
 * A few dedicated workers verifying batches; when workers cannot run (a Content-Security-Policy
 * refusing blob: workers, an error in one) its batches are verified by `fallback` on the page.
 */
export class VerifyWorkers {
  private readonly workers: Worker[] = []
  private readonly pending = new Map<number, Pending & { worker: Worker }>()
  private readonly fallback: (items: readonly SignedItem[]) => Promise<boolean[]>
  private nextId = 0
  private broken = false

  constructor(size: number, fallback: (items: readonly SignedItem[]) => Promise<boolean[]>) {
    this.fallback = fallback
    try {
      const url = URL.createObjectURL(new Blob([`(${workerMain.toString()})()`], { type: 'text/javascript' }))
      for (let i = 0; i < size; i++) this.workers.push(this.start(url))
    } catch {
      this.broken = true
    }
  }

  private start(url: string): Worker {
    const worker = new Worker(url)
    worker.onmessage = ({ data }: MessageEvent<{ id: number; results: boolean[] }>) => {
      const request = this.pending.get(data.id)
      this.pending.delete(data.id)
      request?.resolve(data.results)
    }
    worker.onerror = (event) => {
      event.preventDefault()
      this.broken = true
      for (const [id, request] of this.pending)
        if (request.worker === worker) {
          this.pending.delete(id)
          void this.fallback(request.items).then(request.resolve)
        }
    }
    return worker
  }

  /** Verifies the items, spread over the workers; one result per item, in order (false for a key or signature of the wrong size). */
  async verifyBatch(items: readonly SignedItem[]): Promise<boolean[]> {
    if (this.broken || items.length === 0) return this.fallback(items)
    const sized = items.filter(wellSized)
    if (sized.length < items.length) {
      const verdicts = await this.verifyBatch(sized)
      let next = 0
      return items.map((item) => wellSized(item) && verdicts[next++])
    }
    const share = Math.ceil(items.length / this.workers.length)
    const parts = this.workers.map((worker, i) => {
      const part = items.slice(i * share, (i + 1) * share)
      if (part.length === 0) return Promise.resolve([])
      return new Promise<boolean[]>((resolve) => {
        const packed = pack(this.nextId++, part)
        this.pending.set(packed.id, { items: part, resolve, worker })
        worker.postMessage(packed, [packed.bytes.buffer, packed.messageLengths.buffer])
      })
    })
    return (await Promise.all(parts)).flat()
  }
}
