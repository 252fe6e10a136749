// A web-test-runner plugin that runs a real Node relay beside the browser tests and tells them its addresses.
import { createRelayHost } from '../../relay/relay-host.ts'

/** Starts the relay with the test server; tests ask `executeServerCommand('relay-info')` for its multiaddrs. */
export function relayPlugin() {
  let relay
  return {
    name: 'pp-relay',
    async serverStart() {
      relay = await createRelayHost({ host: '127.0.0.1', tcpPort: 0, wsPort: 0 })
    },
    async serverStop() {
      await relay?.stop()
    },
    executeCommand({ command }) {
      if (command !== 'relay-info') return undefined
      return {
        peerId: relay.peerId.toString(),
        multiaddrs: relay.getMultiaddrs().map((a) => a.toString()),
      }
    },
  }
}
