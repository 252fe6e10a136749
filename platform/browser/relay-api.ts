// A relay's HTTP API as a tab reads it (light: the page of a worker node uses it too).
import { RelayUnreachableError } from './errors.ts'

/** True in a page served over https, where plain ws:// and http:// are blocked as mixed content. */
export const SECURE_PAGE = globalThis.location?.protocol === 'https:'

/** GETs `url` as JSON; an unreachable relay or an error status is a RelayUnreachableError. */
export async function getJson<T>(url: string): Promise<T> {
  let res: Response
  try {
    res = await fetch(url)
  } catch (err) {
    throw new RelayUnreachableError(`cannot reach the relay at ${url}: ${(err as Error).message}`)
  }
  if (!res.ok) throw new RelayUnreachableError(`the relay answered ${res.status} for ${url}`)
  return (await res.json()) as T
}

/**
 * How far the relay's clock is ahead of this one (negative: behind), in ms, measured from its
 * /status against the middle of the round trip. Slots are short: a tab off by more than half a
 * slot would see honest blocks as early or late.
 */
export async function measureClockOffset(relay: string): Promise<number> {
  const sent = Date.now()
  const { time } = await getJson<{ time?: unknown }>(`${relay}/status`)
  const received = Date.now()
  if (typeof time !== 'number') throw new RelayUnreachableError(`${relay}/status has no time`)
  return Math.round(time - (sent + received) / 2)
}
