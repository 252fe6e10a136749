import type { PPNode } from '../src/node.ts'
import type { RelayLog } from './relay-log.ts'

/**
 * Logs what the node does before it is up (headers checked, a snapshot download from a checkpoint,
 * and its failure);
 * returns the function that stops, once it is up.
 */
export function reportStart(node: PPNode, log: RelayLog): () => void {
  const controller = new AbortController()
  const { signal } = controller
  node.addEventListener(
    'snapshot:progress',
    ({ detail: { done, total } }) => {
      if (done % 256 === 0 || done === total)
        log.info(`snapshot ${done}/${total} chunks checked`, { done, total })
    },
    { signal },
  )
  node.addEventListener(
    'headers:progress',
    ({ detail: { done, total } }) => log.info(`headers ${done}/${total} checked`, { done, total }),
    { signal },
  )
  node.addEventListener('error', ({ detail }) => log.error(`error: ${detail.error.message}`), { signal })
  return () => controller.abort()
}
