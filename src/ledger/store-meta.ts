import { decodeCbor, encodeCbor } from '../encoding/cbor.ts'
import { equalBytes, toHex } from '../encoding/hash.ts'
import { StoreCorruptError } from '../errors.ts'
import { type Genesis, genesisHash } from '../genesis.ts'
import type { Store } from '../ports.ts'

const FORMAT = 'pp-node/chain/1'

/**
 * Marks an empty store as the chain of `genesis`, or checks that a used one is: a store of another
 * chain, another program or another format is refused with StoreCorruptError saying which.
 */
export async function checkStoreMeta(store: Store, genesis: Genesis): Promise<void> {
  const id = genesisHash(genesis)
  const meta = await store.get('meta')
  if (meta === undefined) {
    for await (const _ of store.entries({ limit: 1 })) {
      throw new StoreCorruptError('this store holds data but no pp-node chain: refusing to use it')
    }
    await store.batch([{ type: 'put', key: 'meta', value: encodeCbor({ format: FORMAT, genesis: id }) }])
    return
  }
  const stored = readMeta(meta)
  if (!equalBytes(stored, id)) {
    throw new StoreCorruptError(
      `this store holds the chain of genesis ${toHex(stored).slice(0, 16)}, not ${toHex(id).slice(0, 16)} (${genesis.chainId}): use another data directory or reset it`,
    )
  }
}

/** The genesis hash a store's metadata names. */
function readMeta(bytes: Uint8Array): Uint8Array {
  try {
    const meta = decodeCbor(bytes, 4096, 'store metadata') as { format?: unknown; genesis?: unknown }
    if (meta.format === FORMAT && meta.genesis instanceof Uint8Array) return meta.genesis
  } catch {}
  throw new StoreCorruptError(
    'this store was written by another program or version: its metadata is unreadable',
  )
}
