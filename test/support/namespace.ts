import { execFile } from 'node:child_process'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A network namespace with a veth pair to this one: what runs there has a non-loopback address. */
export interface Namespace {
  name: string
  /** This namespace's address on the veth pair. */
  host: string
  /** The address inside the namespace. */
  address: string
  /** `ip netns exec <name>`: the prefix that runs a command inside it. */
  exec: string[]
  remove(): Promise<void>
}

/** Namespaces made by this process so far (each gets its own name and /24). */
let made = 0

/**
 * Makes a namespace, or says why it cannot (no root, no iproute2, no netns support). What runs
 * there has a non-loopback address and a default route: Chromium gathers no WebRTC candidates
 * on a host without one (CI machines have loopback only), so tabs in it can reach each other.
 */
export async function makeNamespace(): Promise<Namespace | string> {
  made += 1
  const tag = `${process.pid % 10_000}${made}`
  const subnet = `10.${200 + made}.${process.pid % 250}`
  const name = `pp-test-${tag}`
  const [outside, inside] = [`ppa${tag}`, `ppb${tag}`]
  const host = `${subnet}.1`
  const address = `${subnet}.2`
  const ip = (...args: string[]) => run('ip', args)
  const remove = async () => {
    await ip('netns', 'del', name).catch(() => {})
    await ip('link', 'del', outside).catch(() => {})
  }
  try {
    await ip('netns', 'add', name)
    await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside)
    await ip('link', 'set', inside, 'netns', name)
    await ip('addr', 'add', `${host}/24`, 'dev', outside)
    await ip('link', 'set', outside, 'up')
    await ip('netns', 'exec', name, 'ip', 'addr', 'add', `${address}/24`, 'dev', inside)
    await ip('netns', 'exec', name, 'ip', 'link', 'set', inside, 'up')
    await ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up')
    await ip('netns', 'exec', name, 'ip', 'route', 'add', 'default', 'via', host, 'dev', inside)
    return { name, host, address, exec: ['ip', 'netns', 'exec', name], remove }
  } catch (err) {
    await remove()
    return (err as Error).message.split('\n')[0]
  }
}

/** Writes an executable into `dir` that runs `binary` inside the namespace (for a browser launcher). */
export async function binaryIn(ns: Namespace, binary: string, dir: string): Promise<string> {
  const path = join(dir, `in-${ns.name}`)
  await writeFile(path, `#!/bin/sh\nexec ${ns.exec.join(' ')} ${binary} "$@"\n`)
  await chmod(path, 0o755)
  return path
}
