/**
 * The `<script>` build (dist/pp-node.min.js, the global `PPNode`): what a page needs to run a node in
 * a dedicated worker — joinRelay, the wallet's helpers, the errors. The node itself loads in the
 * worker (pp-node-worker.min.js beside this script); dist/pp-node-full.min.js has everything for
 * running a node on the page.
 */
import type { PPNode } from '../../src/node.ts'
import { WorkerUnavailableError } from './errors.ts'
import { withScriptPin } from './script-pin.ts'
import {
  joinRelayInWorker,
  SCRIPT_BASE,
  type WorkerJoinOptions,
  type WorkerNode,
} from './worker-node/worker-node.ts'

export { vrfPublicKey } from '../../src/crypto/vrf.ts'
export { fromHex, toHex } from '../../src/encoding/hash.ts'
export * from '../../src/errors.ts'
export { addressOf, isAddress, parseAddress } from '../../src/ledger/address.ts'
export * from '../../src/ledger/errors.ts'
export { signTransaction } from '../../src/ledger/transaction.ts'
export { browserCrypto } from './crypto.ts'
export {
  GenesisMismatchError,
  RelayUnreachableError,
  WorkerTimeoutError,
  WorkerUnavailableError,
} from './errors.ts'
export { measureClockOffset } from './relay-api.ts'
export { boundClockOffset, type RelayClock } from './relay-clock.ts'
export { joinRelayInWorker, WorkerNode } from './worker-node/worker-node.ts'

/** The full build beside this script, which runs a node on the page. */
const FULL_SCRIPT = 'pp-node-full.min.js'

/** Loads the full build into the page (once) and returns its global. */
async function fullBuild(): Promise<{ joinRelay(options: WorkerJoinOptions): Promise<PPNode> }> {
  const src = new URL(FULL_SCRIPT, SCRIPT_BASE).href
  await new Promise<void>((resolve, reject) => {
    const script = document.createElement('script')
    script.src = src
    script.onload = () => resolve()
    script.onerror = () => reject(new WorkerUnavailableError(`neither a worker nor ${src} could be loaded`))
    document.head.append(script)
  })
  return (globalThis as unknown as { PPNode: Awaited<ReturnType<typeof fullBuild>> }).PPNode
}

/**
 * Joins a relay's network with the node in a dedicated worker, so the page stays responsive; where
 * no worker can start (a policy, an old browser), or with `worker: false`, the node runs on the
 * page (the full build is loaded for it). The script tag's `data-genesis-hash` pins the chain.
 */
export async function joinRelay(
  options: WorkerJoinOptions & { worker?: boolean } = {},
): Promise<WorkerNode | PPNode> {
  const { worker, ...join } = withScriptPin(options)
  if (worker !== false)
    try {
      return await joinRelayInWorker(join)
    } catch (err) {
      if (!(err instanceof WorkerUnavailableError)) throw err
      console.warn(`pp-node: ${err.message}; the node runs on the page`)
    }
  return (await fullBuild()).joinRelay(join)
}
