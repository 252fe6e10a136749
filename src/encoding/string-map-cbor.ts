/**
 * The canonical DAG-CBOR encoding of a map from ASCII strings to ASCII strings — byte for byte
 * what `@ipld/dag-cbor` writes (keys by length, then bytewise) — built directly: the general
 * encoder spends seconds sorting a map of a million genesis balances.
 */
export function encodeStringMap(map: Readonly<Record<string, string>>): Uint8Array {
  // Keys by length, then by the engine's own string order (bytewise for ASCII): no comparator calls.
  const byLength = new Map<number, string[]>()
  for (const key of Object.keys(map)) {
    const group = byLength.get(key.length)
    if (group === undefined) byLength.set(key.length, [key])
    else group.push(key)
  }
  const keys = [...byLength.keys()].sort((a, b) => a - b).flatMap((length) => byLength.get(length)!.sort())
  let size = headSize(keys.length)
  for (const key of keys)
    size += headSize(key.length) + key.length + headSize(map[key].length) + map[key].length
  const out = new Uint8Array(size)
  let at = writeHead(out, 0, 5, keys.length)
  const text = (s: string): void => {
    at = writeHead(out, at, 3, s.length)
    for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i)
  }
  for (const key of keys) {
    text(key)
    text(map[key])
  }
  return out
}

function headSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5
}

/** Writes a CBOR item head (major type and argument, shortest form) at `at`; returns the next offset. */
function writeHead(out: Uint8Array, at: number, major: number, n: number): number {
  const m = major << 5
  if (n < 24) {
    out[at] = m | n
    return at + 1
  }
  if (n < 0x100) {
    out.set([m | 24, n], at)
    return at + 2
  }
  if (n < 0x10000) {
    out.set([m | 25, n >> 8, n & 0xff], at)
    return at + 3
  }
  out.set([m | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff], at)
  return at + 5
}
