import type { ComponentLogger, Logger } from '@libp2p/interface'
import { enabled, logger } from '@libp2p/logger'

/**
 * libp2p's own components log as `libp2p:<nodeId>:<component>`, so nodes of one process stay apart.
 * A component whose logs are off (as set by DEBUG when the node starts) gets a silent logger:
 * libp2p makes a scoped logger for every stream, and making a real one costs a terminal check.
 */
export function libp2pLogger(nodeId: string): ComponentLogger {
  return {
    forComponent: (component) => {
      const name = component.replace(/^libp2p(?=:|$)/, `libp2p:${nodeId}`)
      const on = [name, `${name}:error`, `${name}:trace`, `${name}:scope`].some((n) => enabled(n))
      return on ? logger(name) : SILENT
    },
  }
}

const SILENT: Logger = Object.assign(() => {}, {
  error: () => {},
  trace: () => {},
  enabled: false,
  newScope: () => SILENT,
})
