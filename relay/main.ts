/**
 * `node relay.js`: starts the bootstrap relay and prints its multiaddrs.
 *
 * @example
 * node relay.js --tcp-port 4001 --ws-port 4002
 */
import { parseArgs } from 'node:util'
import { createRelayHost } from './relay-host.ts'

const USAGE = `Usage: node relay.js [options]

  --host <ip>         address to listen on (env PP_HOST, default 127.0.0.1)
  --tcp-port <n>      TCP port for Node peers (env PP_TCP_PORT, default 4001)
  --ws-port <n>       WebSocket port for browser tabs (env PP_WS_PORT, default 4002)
  -h, --help          show this help`

function fail(message: string): never {
  console.error(`pp-node: ${message} (see --help)`)
  process.exit(2)
}

function port(name: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    fail(`--${name} must be a port number 0-65535, got "${value}"`)
  return n
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      options: {
        host: { type: 'string', default: process.env.PP_HOST ?? '127.0.0.1' },
        'tcp-port': { type: 'string', default: process.env.PP_TCP_PORT ?? '4001' },
        'ws-port': { type: 'string', default: process.env.PP_WS_PORT ?? '4002' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (err) {
    fail((err as Error).message)
  }
  if (values.help === true) {
    console.log(USAGE)
    return
  }
  const host = await createRelayHost({
    host: String(values.host),
    tcpPort: port('tcp-port', String(values['tcp-port'])),
    wsPort: port('ws-port', String(values['ws-port'])),
  })
  console.log(`pp-node relay ${host.peerId.toString()} listening on:`)
  for (const addr of host.getMultiaddrs()) console.log(`  ${addr.toString()}`)
  let stopping = false
  const stop = (): void => {
    if (stopping) process.exit(130)
    stopping = true
    Promise.resolve(host.stop()).then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

await main()
