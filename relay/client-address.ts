import type { IncomingMessage } from 'node:http'
import { ipPrefix } from '../src/net/network-prefix.ts'

/** An IP address without the IPv4-mapped IPv6 form a dual-stack socket reports (`::ffff:1.2.3.4`). */
export function plainIp(ip: string): string {
  return ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')
}

/**
 * The address of the client that made `req`: the socket's peer, or, when that peer is one of the
 * operator's `trustedProxies` (a reverse proxy in front of the relay), the last address its
 * `X-Forwarded-For` names that is not itself a trusted proxy. A client cannot pick its address by
 * sending the header itself: from any other peer the header is ignored.
 */
export function clientAddressOf(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  const peer = plainIp(req.socket.remoteAddress ?? 'unknown')
  const header = req.headers['x-forwarded-for']
  if (!trustedProxies.has(peer) || header === undefined) return peer
  const hops = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((hop) => plainIp(hop.trim()))
    .filter((hop) => hop !== '')
  for (let i = hops.length - 1; i >= 0; i--) if (!trustedProxies.has(hops[i])) return hops[i]
  return peer
}

/** The network a client address is limited as: its /24 (IPv4) or /64 (IPv6, what one host or home gets). */
export function clientNetworkOf(ip: string): string {
  return ipPrefix(ip, 64)
}
