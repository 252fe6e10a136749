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
  if (ip.name === 'ip4') return `${ip.value.split('.').slice(0, 3).join('.')}.0/24`
  const groups = expandIp6(ip.value)
  return `${groups.slice(0, 3).join(':')}::/48`
}

/** The eight 16-bit groups of an IPv6 address, "::" expanded. */
function expandIp6(value: string): string[] {
  const [head, tail] = value.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0')
  return [...left, ...zeros, ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
}
