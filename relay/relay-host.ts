import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import type { PrivateKey } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { nodeNetwork } from '../platform/node/network.ts'
import { createHost } from '../src/net/host.ts'

/** Where the relay listens. */
export interface RelayHostOptions {
  host: string
  tcpPort: number
  wsPort: number
  privateKey?: PrivateKey
  /** Allow dialing private/loopback addresses (devnets and tests). */
  allowPrivateAddresses?: boolean
}

/**
 * Circuit relay v2 limits sized for browser tabs: each tab holds one reservation and uses relayed
 * circuits only to signal WebRTC, so 2 min / 1 MiB per circuit and 256 reservations suffice.
 */
export const RELAY_LIMITS = {
  maxReservations: 256,
  defaultDurationLimit: 120_000,
  defaultDataLimit: 1n << 20n,
} as const

/** Starts a libp2p host that listens on TCP (Node peers) and WebSocket (tabs) and relays circuits. */
export async function createRelayHost(options: RelayHostOptions): Promise<Libp2p> {
  return createHost({
    network: nodeNetwork,
    settings: {
      listen: [
        `/ip4/${options.host}/tcp/${options.tcpPort}`,
        `/ip4/${options.host}/tcp/${options.wsPort}/ws`,
      ],
      allowPrivateAddresses: options.allowPrivateAddresses ?? true,
    },
    ...(options.privateKey !== undefined && { privateKey: options.privateKey }),
    services: {
      relay: circuitRelayServer({ reservations: { ...RELAY_LIMITS } }),
    },
  })
}
