import { isPrivate } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * The network a remote address belongs to, for per-network scoring and connection limits: its
 * /24 (IPv4) or /48 (IPv6) prefix. Undefined for relayed connections (the address is the relay's)
 * and, unless `includeLocal`, for loopback and private addresses (a local devnet, tabs behind one NAT).
 */
export function networkOf(addr: Multiaddr, includeLocal: boolean): string | undefined {
  const components = addr.getComponents()
  if (components.some((c) => c.name === 'p2p-circuit')) return undefined
  const ip = components.find((c) => c.name === 'ip4' || c.name === 'ip6')
  if (ip?.value === undefined) return undefined
  if (!includeLocal && isPrivate(addr)) return undefined
  return ipPrefix(ip.value, 48)
}

/**
 * The network of an IP address as text: its /24 for IPv4 (also written IPv4-mapped, `::ffff:a.b.c.d`),
 * its first `ip6Bits` bits for IPv6 (/48 for a site, /64 for one host's or household's subnet).
 * Anything else is returned as it is.
 */
export function ipPrefix(ip: string, ip6Bits: 48 | 64): string {
  const mapped = /^(?:::ffff:)?(\d+\.\d+\.\d+)\.\d+$/i.exec(ip)
  if (mapped !== null) return `${mapped[1]}.0/24`
  if (!ip.includes(':')) return ip
  const groups = expandIp6(ip.split('%')[0])
  return `${groups.slice(0, ip6Bits / 16).join(':')}::/${ip6Bits}`
}

/** The eight 16-bit groups of an IPv6 address, "::" expanded. */
function expandIp6(value: string): string[] {
  const [head, tail] = value.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0')
  return [...left, ...zeros, ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
}
