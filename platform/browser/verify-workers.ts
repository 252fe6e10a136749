// Ed25519 verification on Web Workers. Chromium runs WebCrypto's Ed25519 verify on the calling
// thread: 10,000 signatures of a synced run held a tab's page for over half a second. Workers keep
// the page free and verify on every core. Same engine (WebCrypto) as the page, so the same verdicts.
import type { SignedItem } from '../../src/ports.ts'

/** The workers' whole program: verifies each item with WebCrypto, answering false for any failure. */
function workerMain(): void {
  const scope = globalThis as unknown as {
    onmessage: (event: MessageEvent<{ id: number; items: SignedItem[] }>) => void
    postMessage: (message: unknown) => void
  }
  const algorithm = { name: 'Ed25519' }
  const keys = new Map<string, Promise<CryptoKey>>()
  const keyOf = (raw: Uint8Array): Promise<CryptoKey> => {
    const id = Array.from(raw, (b) => b.toString(16).padStart(2, '0')).join('')
    let key = keys.get(id)
    if (key === undefined) {
      if (keys.size >= 4096) keys.clear()
      key = crypto.subtle.importKey('raw', raw as BufferSource, algorithm, false, ['verify'])
      keys.set(id, key)
    }
    return key
  }
  scope.onmessage = async ({ data: { id, items } }) => {
    const results = await Promise.all(
      items.map(async ({ publicKey, message, signature }) => {
        try {
          const key = await keyOf(publicKey)
          return await crypto.subtle.verify(
            algorithm,
            key,
            signature as BufferSource,
            message as BufferSource,
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

  /** Verifies the items, spread over the workers; one result per item, in order. */
  async verifyBatch(items: readonly SignedItem[]): Promise<boolean[]> {
    if (this.broken || items.length === 0) return this.fallback(items)
    const share = Math.ceil(items.length / this.workers.length)
    const parts = this.workers.map((worker, i) => {
      const part = items.slice(i * share, (i + 1) * share)
      if (part.length === 0) return Promise.resolve([])
      // Copies: a decoded key or signature is a view into a whole response, which cloning would copy entire.
      const copies = part.map((item) => ({
        publicKey: item.publicKey.slice(),
        message: item.message.slice(),
        signature: item.signature.slice(),
      }))
      return new Promise<boolean[]>((resolve) => {
        const id = this.nextId++
        this.pending.set(id, { items: part, resolve, worker })
        worker.postMessage({ id, items: copies })
      })
    })
    return (await Promise.all(parts)).flat()
  }
}
