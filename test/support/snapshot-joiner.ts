// Child process for the snapshot crash test: a node that joins from a checkpoint and reports on
// stdout "progress <chunks done>" as chunks are kept and "joined <index> <state root>" (of the
// block it starts at) once the snapshot is installed, then stops. Usage: node snapshot-joiner.ts <dataDir> <genesis.json> <index:hash> <peer>
import { readFile } from 'node:fs/promises'
import { nodePlatform } from '../../platform/node/index.ts'
import { libp2pNetwork } from '../../platform/node/network.ts'
import { toHex } from '../../src/encoding/hash.ts'
import { createNode } from '../../src/node.ts'

const [dataDir, genesisFile, checkpoint, peer] = process.argv.slice(2)
const node = createNode(
  {
    genesis: JSON.parse(await readFile(genesisFile, 'utf8')),
    checkpoint,
    network: { enableP2P: true, bootstrapPeers: [peer], allowPrivateAddresses: true },
  },
  nodePlatform({ dataDir }),
  { network: libp2pNetwork() },
)
node.addEventListener('snapshot:progress', (e) => process.stdout.write(`progress ${e.detail.done}\n`))
node.addEventListener('error', (e) => process.stdout.write(`error ${e.detail.error.message}\n`))
await node.start()
const { horizon } = node.chainStore
process.stdout.write(
  `joined ${horizon} ${toHex(node.chainStore.stateAt(horizon)?.stateRoot ?? new Uint8Array())}\n`,
)
await node.stop()
