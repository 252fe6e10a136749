import { executeServerCommand } from '@web/test-runner-commands'
import type { GenesisJson } from '../../src/genesis.ts'

/** The Node relay node the browser test runner started: its addresses and its chain. */
export interface RelayInfo {
  peerId: string
  multiaddrs: string[]
  httpUrl: string
  genesis: GenesisJson
  /** Secrets (hex) of the two BFT producer keys reserved for browser nodes. */
  tabSecrets: [string, string]
}

/** Asks the test runner for the relay's addresses and chain (browser tests only). */
export async function relayInfo(): Promise<RelayInfo> {
  const info = await executeServerCommand<RelayInfo, undefined>('relay-info')
  if (info === undefined) throw new Error('the test runner has no relay (relay-plugin missing?)')
  return info
}

/** The relay's WebSocket multiaddr, the one browsers can dial. */
export async function relayWebSocketAddr(): Promise<string> {
  const { multiaddrs } = await relayInfo()
  const ws = multiaddrs.find((a) => a.includes('/ws/'))
  if (ws === undefined) throw new Error(`the relay has no WebSocket address: ${multiaddrs.join(' ')}`)
  return ws
}
