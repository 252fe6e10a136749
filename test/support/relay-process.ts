import { type ChildProcess, spawn } from 'node:child_process'
import { type AddressInfo, createServer } from 'node:net'

const RELAY = new URL('../../relay.js', import.meta.url).pathname

/** Flags that let the OS pick every port of a test relay (TCP, WebSocket, HTTP). */
export const ANY_PORTS = ['--tcp-port', '0', '--ws-port', '0', '--webrtc-port', '0', '--http-port', '0']

/** A `node relay.js` child process and what it printed at start. */
export interface RelayProcess {
  child: ChildProcess
  httpUrl: string
  peerId: string
  multiaddrs: string[]
  output: () => string
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Starts `node relay.js` with the given arguments and waits until it prints its HTTP address;
 * `wrap` runs it through another command (e.g. `ip netns exec <ns>`).
 */
export function startRelayProcess(
  args: string[],
  env: Record<string, string> = {},
  wrap: string[] = [],
): Promise<RelayProcess> {
  return new Promise((resolve, reject) => {
    const [command, ...rest] = [...wrap, process.execPath, RELAY, ...args]
    const child = spawn(command!, rest, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    })
    let output = ''
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`relay did not start in 30 s:\n${output}`))
    }, 30_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const http = /http\s+(http:\/\/\S+)/.exec(output)
      if (http === null) return
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.stdout?.on('data', (c: Buffer) => {
        output += c.toString()
      })
      const multiaddrs = [...output.matchAll(/listening\s+(\/\S+)/g)].map((m) => m[1])
      resolve({
        child,
        httpUrl: http[1],
        peerId: multiaddrs[0]?.split('/p2p/')[1] ?? '',
        multiaddrs,
        output: () => output,
        stop(signal = 'SIGTERM') {
          child.kill(signal)
          return exited
        },
      })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString()
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`relay exited with ${code} before starting:\n${output}`))
    })
  })
}

/** A TCP port nothing listens on right now (for a relay that must keep its ports across a restart). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}
