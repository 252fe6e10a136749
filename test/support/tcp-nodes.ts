import { libp2pNetwork } from '../../platform/node/network.ts'
import type { ManualClock } from '../../src/clock/manual-clock.ts'
import type { NodeConfig } from '../../src/config.ts'
import type { Genesis } from '../../src/genesis.ts'
import { createNode, type PPNode } from '../../src/node.ts'
import type { TestKey } from './chain-fixtures.ts'
import { type TestPlatform, testPlatform } from './test-platform.ts'

/** How a test node starts: its producer key, peers to dial, history kept, gossip loss, and its platform. */
export interface TcpNodeOptions {
  producer?: TestKey | undefined
  bootstrap?: string[]
  keepEpochs?: number
  /** True to drop a received gossip message. */
  drop?: () => boolean
  /** The platform (and so the store) to use, e.g. to restart a node; by default a new one. */
  env?: TestPlatform
  /** Any other node settings (a checkpoint, snapshot points). */
  config?: Partial<NodeConfig>
  /** Called with the node before it starts (to listen to what start() itself does). */
  beforeStart?: (node: PPNode) => void
}

/** The real nodes a test starts on 127.0.0.1 TCP (each on a LevelDB of its own), stopped together after it. */
export class TcpNodes {
  readonly nodes: PPNode[] = []
  readonly envs: TestPlatform[] = []

  /** Starts a node of `genesis` on `clock`, listening on a free TCP port of 127.0.0.1. */
  async start(genesis: Genesis, clock: ManualClock, options: TcpNodeOptions = {}): Promise<PPNode> {
    const env = options.env ?? (await this.platform())
    const { producer, drop, keepEpochs } = options
    const node = createNode(
      {
        ...options.config,
        genesis,
        ...(producer && { producer: { secret: producer.secret } }),
        ...(keepEpochs !== undefined && { keepEpochs }),
        network: {
          enableP2P: true,
          listenAddr: ['/ip4/127.0.0.1/tcp/0'],
          bootstrapPeers: options.bootstrap ?? [],
          allowPrivateAddresses: true,
        },
      },
      { ...env.platform, clock },
      { network: libp2pNetwork(drop && { conditions: { drop } }) },
    )
    this.nodes.push(node)
    options.beforeStart?.(node)
    await node.start()
    return node
  }

  /** A test platform stopped with the nodes (for a node the test creates itself, or restarts). */
  async platform(): Promise<TestPlatform> {
    const env = await testPlatform()
    this.envs.push(env)
    return env
  }

  /** Stops every node, then disposes every platform. */
  async stopAll(): Promise<void> {
    for (const node of this.nodes.splice(0)) await node.stop()
    for (const env of this.envs.splice(0)) await env.dispose()
  }
}
