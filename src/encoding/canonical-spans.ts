// Where values sit in canonical DAG-CBOR bytes, so identifiers are hashed from the bytes received
// instead of from a re-encoding. Only canonical bytes (exactly what encodeCbor would write) pass:
// for them the two hashes are the same, so a node never names one thing two ways.
import { DecodeError } from '../errors.ts'

/** A value's bytes within a larger encoding: `bytes.subarray(start, end)`. */
export interface Span {
  start: number
  end: number
}

/** pp-node data nests four deep (block, transaction list, transaction, body); deeper is not ours. */
const MAX_DEPTH = 8

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const utf8 = new TextEncoder()

function notCanonical(what: string, at: number): never {
  throw new DecodeError(`not canonical DAG-CBOR at byte ${at}: ${what}`)
}

/** The last head read: argument (a length or an integer) and where its content starts. */
let arg = 0
let content = 0

/** Reads the head of the item at `at` into arg/content and returns its major type (no allocation: this runs for every item). */
function readHead(bytes: Uint8Array, at: number): number {
  if (at >= bytes.length) notCanonical('truncated', at)
  const major = bytes[at] >> 5
  const info = bytes[at] & 31
  if (info < 24) {
    arg = info
    content = at + 1
    return major
  }
  if (info > 27) notCanonical('indefinite length or reserved value', at)
  const size = 1 << (info - 24)
  if (at + 1 + size > bytes.length) notCanonical('truncated', at)
  arg = 0
  for (let i = 1; i <= size; i++) arg = arg * 256 + bytes[at + i]
  // Minimal form: each size is used only when the smaller one cannot hold the argument.
  const smallest = arg < 24 ? 0 : arg < 256 ? 1 : arg < 65_536 ? 2 : arg < 2 ** 32 ? 4 : 8
  if (size !== smallest) notCanonical('integer or length not in its shortest form', at)
  content = at + 1 + size
  return major
}

/** True when the key at [a, a + la) sorts before the one at [b, b + lb): shorter first, then bytewise. */
function keyBefore(bytes: Uint8Array, a: number, la: number, b: number, lb: number): boolean {
  if (la !== lb) return la < lb
  for (let i = 0; i < la; i++) if (bytes[a + i] !== bytes[b + i]) return bytes[a + i] < bytes[b + i]
  return false
}

/**
 * The end of the canonical item at `at`; throws DecodeError on anything encodeCbor would not
 * write: a longer-than-needed head, unsorted or repeated map keys, non-text keys, text that is
 * not valid UTF-8, and tags or simple values (floats, booleans, null), which pp-node data never holds.
 * `onEntry` sees each entry of the map at `at` (key content span, value span), when it is one.
 */
function canonicalItemEnd(
  bytes: Uint8Array,
  at: number,
  onEntry?: (keyStart: number, keyEnd: number, value: Span) => void,
  depth = 0,
): number {
  if (depth > MAX_DEPTH) notCanonical(`nested deeper than ${MAX_DEPTH}`, at)
  const major = readHead(bytes, at)
  switch (major) {
    case 0:
    case 1:
      return content
    case 2:
    case 3: {
      const end = content + arg
      if (end > bytes.length) notCanonical('truncated', at)
      if (major === 3) checkUtf8(bytes, content, end, at)
      return end
    }
    case 4: {
      let next = content
      for (let i = 0, n = arg; i < n; i++) next = canonicalItemEnd(bytes, next, undefined, depth + 1)
      return next
    }
    case 5: {
      let next = content
      let previous = -1
      let previousLength = 0
      for (let i = 0, n = arg; i < n; i++) {
        if (readHead(bytes, next) !== 3) notCanonical('a map key that is not text', next)
        const keyStart = content
        const keyEnd = canonicalItemEnd(bytes, next, undefined, depth + 1)
        if (previous >= 0 && !keyBefore(bytes, previous, previousLength, keyStart, keyEnd - keyStart))
          notCanonical('map keys out of order or repeated', next)
        previous = keyStart
        previousLength = keyEnd - keyStart
        const value = { start: keyEnd, end: canonicalItemEnd(bytes, keyEnd, undefined, depth + 1) }
        onEntry?.(keyStart, keyEnd, value)
        next = value.end
      }
      return next
    }
    default:
      return notCanonical('a tag or simple value', at)
  }
}

/** Checks that the text at [start, end) re-encodes to the same bytes (valid UTF-8; ASCII needs no decoding). */
function checkUtf8(bytes: Uint8Array, start: number, end: number, at: number): void {
  let i = start
  while (i < end && bytes[i] < 0x80) i++
  if (i === end) return
  const text = bytes.subarray(start, end)
  let decoded: string | undefined
  try {
    decoded = fatalUtf8.decode(text)
  } catch {
    decoded = undefined
  }
  if (decoded === undefined) notCanonical('text is not valid UTF-8', at)
  const again = utf8.encode(decoded)
  if (again.length !== text.length || again.some((b, j) => b !== text[j]))
    notCanonical('text does not re-encode to the same bytes', at)
}

/** True when the key content at [start, end) is the ASCII text `name`. */
function isKey(bytes: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false
  for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name.charCodeAt(i)) return false
  return true
}

/**
 * Checks that a whole block is canonical and finds, in one pass, its transaction list (the map
 * value under `txs`) and each transaction's `body` (undefined for an item that has none).
 */
export function blockSpans(bytes: Uint8Array): { txs: Span; bodies: Array<Span | undefined> } {
  let txs: Span | undefined
  const bodies: Array<Span | undefined> = []
  const end = canonicalItemEnd(bytes, 0, (keyStart, keyEnd, value) => {
    if (!isKey(bytes, keyStart, keyEnd, 'txs')) return
    txs = value
    if (readHead(bytes, value.start) !== 4) notCanonical('txs is not an array', value.start)
    let next = content
    for (let i = 0, n = arg; i < n; i++) {
      let body: Span | undefined
      next = canonicalItemEnd(bytes, next, (k, ke, v) => {
        if (isKey(bytes, k, ke, 'body')) body = v
      })
      bodies.push(body)
    }
  })
  if (end !== bytes.length) notCanonical('bytes after the block', end)
  if (txs === undefined) return notCanonical('no txs', 0)
  return { txs, bodies }
}

/** The spans of a canonical block's `header` and `signature` (the transactions are checked for form, not decoded). */
export function headerSpans(bytes: Uint8Array): { header: Span; signature: Span } {
  let header: Span | undefined
  let signature: Span | undefined
  const end = canonicalItemEnd(bytes, 0, (keyStart, keyEnd, value) => {
    if (isKey(bytes, keyStart, keyEnd, 'header')) header = value
    else if (isKey(bytes, keyStart, keyEnd, 'signature')) signature = value
  })
  if (end !== bytes.length) notCanonical('bytes after the block', end)
  if (header === undefined || signature === undefined) return notCanonical('no header or signature', 0)
  return { header, signature }
}
