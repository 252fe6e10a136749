import { ConfigError } from './errors.ts'
import { type Genesis, type GenesisJson, parseGenesis } from './genesis.ts'
import { STATE_ROOT_VERSION } from './ledger/block.ts'
import { SNAPSHOT_EVERY } from './ledger/chain-store.ts'
import { type Checkpoint, parseCheckpoint } from './ledger/snapshot.ts'
import { DEFAULT_MAX_PER_SENDER } from './mempool.ts'

/** How a node takes part in the network: the same fields and meaning in Node and in browsers. */
export interface NetworkConfig {
  /** false runs a standalone node with no networking at all. */
  enableP2P: boolean
  /** A name for this node in logs and status (the libp2p peer id identifies it on the network). */
  nodeId: string
  /** Multiaddrs (with /p2p/<peer id>) dialled at start and redialled with backoff when they drop. */
  bootstrapPeers: string[]
  /** Multiaddrs to listen on (Node); browsers listen through relays and WebRTC instead. */
  listenAddr: string[]
  /**
   * Multiaddrs peers should dial, told by identify instead of the listen addresses: the public
   * address of a server behind NAT or in a container (e.g. `/dns4/relay.example.com/tcp/4001`).
   */
  announceAddr: string[]
  /**
   * Direct peers a node seeks: below this many it dials the peers it discovers. A bounded degree
   * keeps each node's work (gossip, heartbeats, connections) independent of the network's size.
   */
  targetPeers: number
  /** Connections kept at most; direct peers beyond it (other than bootstrap peers) are closed, newest first. */
  maxPeers: number
  /** Dial private/loopback addresses and plain ws:// (local devnets, tests). */
  allowPrivateAddresses: boolean
  /**
   * Score offences and limit connections per network (/24, /48) for loopback and private
   * addresses too; public ones always are (default: when private addresses are not allowed).
   */
  scoreLocalNetworks: boolean
  /** Inbound connections kept at most from one network (/24, /48). */
  maxPeersPerNetwork: number
}

/** A producer's secrets: the ed25519 seed that signs blocks and, for Praos, the VRF seed. */
export interface ProducerSecrets {
  secret: Uint8Array
  vrfSecret?: Uint8Array
}

/** Everything `createNode` accepts; only `genesis` is required. */
export interface NodeConfig {
  genesis: Genesis | GenesisJson
  producer?: ProducerSecrets
  network?: Partial<NetworkConfig>
  /** Name of the platform store holding the chain (default "chain"). */
  storeName?: string
  /** How far ahead of our clock a block's slot may be, in ms (default: one slot). */
  clockSkewMs?: number
  /**
   * A block further ahead than clockSkewMs, but by at most this many ms, is held until its slot
   * comes near and then processed, not punished: clocks of honest peers differ (default: 5 slots).
   */
  holdAheadMs?: number
  /** Mempool bound in bytes (default: twice the maximum block size). */
  mempoolBytes?: number
  /** Pending transactions one sender may have in the mempool (default 32). */
  mempoolPerSender?: number
  /**
   * Keep only the last this many epochs of blocks (at least), deleting older ones once settled:
   * bounded storage, but the node cannot serve older history to peers (default: keep everything).
   */
  keepEpochs?: number
  /**
   * Join from this trusted block (given by the operator, the page, or a relay trusted for it), as
   * `{ index, hash }` or `"<index>:<hash>"`: an empty store fetches the state after that block
   * from peers, every piece checked against the state root in its header, and syncs only the
   * blocks after it. `"headers"`: no block is trusted but genesis; the header chain is checked from
   * genesis (links, signatures, leaders, one proven stake record per epoch), and its newest settled
   * snapshot point is the checkpoint. Ignored when the store already holds a chain.
   */
  checkpoint?: Checkpoint | 'headers' | string
  /** How long peers may take to serve the checkpoint's snapshot before the node syncs from genesis instead (default 120 s). */
  snapshotDeadlineMs?: number
  /** Blocks between the snapshot points this node keeps to serve joining nodes (default 100). */
  snapshotEvery?: number
}

/** A NodeConfig with every default filled in. */
export interface ResolvedConfig {
  genesis: Genesis
  producer?: ProducerSecrets
  network: NetworkConfig
  storeName: string
  clockSkewMs: number
  holdAheadMs: number
  mempoolBytes: number
  mempoolPerSender: number
  keepEpochs: number | undefined
  checkpoint: Checkpoint | 'headers' | undefined
  snapshotDeadlineMs: number
  snapshotEvery: number
}

/** Fills defaults and validates a node configuration; throws ConfigError naming the bad field. */
export function resolveConfig(config: NodeConfig): ResolvedConfig {
  const genesis =
    'balances' in config.genesis && config.genesis.balances instanceof Map
      ? (config.genesis as Genesis)
      : parseGenesis(config.genesis)
  const n = config.network ?? {}
  const network: NetworkConfig = {
    enableP2P: n.enableP2P ?? false,
    nodeId: n.nodeId ?? 'pp-node',
    bootstrapPeers: n.bootstrapPeers ?? [],
    listenAddr: n.listenAddr ?? [],
    announceAddr: n.announceAddr ?? [],
    targetPeers: n.targetPeers ?? Math.min(8, n.maxPeers ?? 50),
    maxPeers: n.maxPeers ?? 50,
    allowPrivateAddresses: n.allowPrivateAddresses ?? false,
    scoreLocalNetworks: n.scoreLocalNetworks ?? !(n.allowPrivateAddresses ?? false),
    maxPeersPerNetwork: n.maxPeersPerNetwork ?? 32,
  }
  if (!Number.isInteger(network.maxPeers) || network.maxPeers < 1) {
    throw new ConfigError(`network.maxPeers must be a whole number ≥ 1, got ${network.maxPeers}`)
  }
  if (
    !Number.isInteger(network.targetPeers) ||
    network.targetPeers < 1 ||
    network.targetPeers > network.maxPeers
  ) {
    throw new ConfigError(
      `network.targetPeers must be a whole number from 1 to maxPeers (${network.maxPeers}), got ${network.targetPeers}`,
    )
  }
  for (const addr of [...network.bootstrapPeers, ...network.listenAddr, ...network.announceAddr]) {
    if (typeof addr !== 'string' || !addr.startsWith('/'))
      throw new ConfigError(`network: "${addr}" is not a multiaddr`)
  }
  const secret = config.producer?.secret
  if (secret !== undefined && secret.length !== 32) throw new ConfigError('producer.secret must be 32 bytes')
  const vrfSecret = config.producer?.vrfSecret
  if (vrfSecret !== undefined && vrfSecret.length !== 32)
    throw new ConfigError('producer.vrfSecret must be 32 bytes')
  const clockSkewMs = config.clockSkewMs ?? genesis.slotMs
  if (!(clockSkewMs >= 0)) throw new ConfigError(`clockSkewMs must be ≥ 0, got ${clockSkewMs}`)
  const holdAheadMs = config.holdAheadMs ?? 5 * genesis.slotMs
  if (!(holdAheadMs >= clockSkewMs))
    throw new ConfigError(`holdAheadMs must be ≥ clockSkewMs (${clockSkewMs}), got ${holdAheadMs}`)
  const mempoolBytes = config.mempoolBytes ?? 2 * genesis.maxBlockBytes
  if (!(mempoolBytes >= 1024)) throw new ConfigError(`mempoolBytes must be ≥ 1024, got ${mempoolBytes}`)
  const mempoolPerSender = config.mempoolPerSender ?? DEFAULT_MAX_PER_SENDER
  if (!Number.isInteger(mempoolPerSender) || mempoolPerSender < 1)
    throw new ConfigError(`mempoolPerSender must be a whole number ≥ 1, got ${mempoolPerSender}`)
  const keepEpochs = config.keepEpochs
  if (keepEpochs !== undefined && (!Number.isInteger(keepEpochs) || keepEpochs < 1))
    throw new ConfigError(`keepEpochs must be a whole number ≥ 1, got ${keepEpochs}`)
  const checkpoint =
    config.checkpoint === 'headers' || typeof config.checkpoint !== 'string'
      ? config.checkpoint
      : parseCheckpoint(config.checkpoint)
  if (
    checkpoint !== undefined &&
    checkpoint !== 'headers' &&
    (!(checkpoint.index >= 1) || checkpoint.hash?.length !== 32)
  )
    throw new ConfigError('checkpoint must name a block height ≥ 1 and a 32-byte block hash')
  if (checkpoint !== undefined && genesis.protocolVersion < STATE_ROOT_VERSION)
    throw new ConfigError(
      'checkpoint: this chain is of protocol version 1, whose headers carry no state root',
    )
  const snapshotDeadlineMs = config.snapshotDeadlineMs ?? 120_000
  if (!(snapshotDeadlineMs > 0))
    throw new ConfigError(`snapshotDeadlineMs must be > 0, got ${snapshotDeadlineMs}`)
  const snapshotEvery = config.snapshotEvery ?? SNAPSHOT_EVERY
  if (!Number.isInteger(snapshotEvery) || snapshotEvery < 1)
    throw new ConfigError(`snapshotEvery must be a whole number ≥ 1, got ${snapshotEvery}`)
  return {
    genesis,
    ...(config.producer && { producer: config.producer }),
    keepEpochs,
    checkpoint,
    snapshotDeadlineMs,
    snapshotEvery,
    network,
    storeName: config.storeName ?? 'chain',
    clockSkewMs,
    holdAheadMs,
    mempoolBytes,
    mempoolPerSender,
  }
}
