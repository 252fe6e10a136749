import type { ManualClock } from '../../src/clock/manual-clock.ts'
import { slotStart } from '../../src/consensus/slot-clock.ts'
import type { Genesis } from '../../src/genesis.ts'
import type { Libp2pNetwork } from '../../src/net/chain-network.ts'
import type { PPNode } from '../../src/node.ts'
import { slotHandled } from './node-fixtures.ts'

/** Polls `condition` every 20 ms until it holds; fails after `timeoutMs` with `what`. */
export async function waitFor(
  condition: () => boolean,
  what: string | (() => string),
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      )
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** `promise`'s value, or an error naming `what` when it has not settled in `timeoutMs`. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/** The libp2p network of a started node. */
export function networkOf(node: PPNode): Libp2pNetwork {
  return node.network as Libp2pNetwork
}

/** The node's multiaddrs that use the given transport fragment (e.g. "/tcp/" without "/ws"). */
export function addrsOf(node: PPNode): string[] {
  return (networkOf(node).libp2p?.getMultiaddrs() ?? []).map((a) => a.toString())
}

/** The first plain-TCP multiaddr of a node. */
export function tcpAddr(node: PPNode): string {
  const addr = addrsOf(node).find((a) => a.includes('/tcp/') && !a.includes('/ws'))
  if (addr === undefined) throw new Error('node has no TCP address')
  return addr
}

/** Resolves when every node subscribes to the block topic with at least `peers` gossip peers. */
export async function meshReady(nodes: PPNode[], peers = 1): Promise<void> {
  await waitFor(
    () =>
      nodes.every((n) => {
        const pubsub = networkOf(n).libp2p?.services.pubsub
        return (
          pubsub !== undefined && pubsub.getSubscribers(`/pp/${n.genesis.chainId}/blocks/1`).length >= peers
        )
      }),
    'gossip subscriptions',
  )
}

/** Sets the shared clock to the start of `slot` and waits until every node has handled it. */
export async function stepSlot(
  clock: ManualClock,
  genesis: Genesis,
  nodes: PPNode[],
  slot: number,
): Promise<void> {
  const handled = nodes.map((n) => slotHandled(n, slot))
  clock.set(slotStart(genesis, slot))
  await Promise.all(handled)
}

/** True when all nodes report the same tip hash. */
export function sameTip(nodes: PPNode[]): boolean {
  const tips = nodes.map((n) => n.getState().tip.hash)
  return tips.every((t) => t === tips[0])
}

/** Polls `condition` every 100 ms until it holds; fails with `what` after `timeoutMs`. */
export async function until(
  condition: () => Promise<boolean>,
  what: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
