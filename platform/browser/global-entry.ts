/** The `<script>` build: everything of the browser entry, exposed as the global `PPNode`. */
import type { PPNode } from '../../src/node.ts'
import { WorkerUnavailableError } from './errors.ts'
import { joinRelay as joinRelayOnPage } from './join-relay.ts'
import { joinRelayInWorker, type WorkerJoinOptions, type WorkerNode } from './worker-node/worker-node.ts'

export * from './package-entry.ts'

/**
 * Joins a relay's network with the node in a dedicated worker (pp-node-worker.min.js beside this
 * script), so the page stays responsive; where no worker can start (a policy, an old browser), or
 * with `worker: false`, the node runs on the page.
 */
export async function joinRelay(
  options: WorkerJoinOptions & { worker?: boolean } = {},
): Promise<WorkerNode | PPNode> {
  const { worker, ...join } = options
  if (worker === false) return joinRelayOnPage(join)
  try {
    return await joinRelayInWorker(join)
  } catch (err) {
    if (!(err instanceof WorkerUnavailableError)) throw err
    console.warn(`pp-node: ${err.message}; the node runs on the page`)
    return joinRelayOnPage(join)
  }
}
