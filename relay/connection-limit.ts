import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import { clientNetworkOf, plainIp } from './client-address.ts'

/**
 * Closes every new connection of a client network (/24, /64) that already holds `perNetwork` open
 * connections to `server`, so one host cannot take all of the server's `maxConnections` and keep
 * everyone else out. Connections of a trusted reverse proxy are not counted (they carry everyone).
 */
export function limitConnectionsPerNetwork(
  server: Server,
  perNetwork: number,
  trustedProxies: ReadonlySet<string>,
): void {
  const open = new Map<string, number>()
  server.on('connection', (socket: Socket) => {
    const peer = plainIp(socket.remoteAddress ?? '')
    if (trustedProxies.has(peer)) return
    const network = clientNetworkOf(peer)
    const count = open.get(network) ?? 0
    if (count >= perNetwork) return void socket.destroy()
    open.set(network, count + 1)
    socket.once('close', () => {
      const left = (open.get(network) ?? 1) - 1
      if (left === 0) open.delete(network)
      else open.set(network, left)
    })
  })
}
