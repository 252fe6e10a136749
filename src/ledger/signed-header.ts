// A block's header with its signature, without the transactions: what a node that checks the
// header chain alone fetches (see header-chain.ts).
import * as v from 'valibot'
import { headerSpans } from '../encoding/canonical-spans.ts'
import { decodeCbor } from '../encoding/cbor.ts'
import { hash } from '../encoding/hash.ts'
import { DecodeError } from '../errors.ts'
import { type BlockHeader, decodeHeader, MAX_HEADER_BYTES } from './block.ts'

/** A header, its issuer's signature and its block hash. */
export interface SignedHeader {
  header: BlockHeader
  signature: Uint8Array
  hash: Uint8Array
}

/** The wire form: the header's canonical encoding (its hash is the block hash) and the signature. */
export type SignedHeaderWire = [header: Uint8Array, signature: Uint8Array]

const SignatureSchema = v.pipe(v.instance(Uint8Array), v.length(64))

/** The signed header of a stored block, cut from its bytes (the transactions are not decoded). */
export function signedHeaderWire(blockBytes: Uint8Array): SignedHeaderWire {
  const { header, signature } = headerSpans(blockBytes)
  const sig = decodeCbor(blockBytes.subarray(signature.start, signature.end), 128, 'signature')
  if (!(sig instanceof Uint8Array)) throw new DecodeError('a block signature that is not bytes')
  return [blockBytes.slice(header.start, header.end), sig]
}

/** A signed header from its wire form, checked for form (not for its signature); DecodeError when malformed. */
export function decodeSignedHeader([headerBytes, signature]: SignedHeaderWire): SignedHeader {
  if (headerBytes.length > MAX_HEADER_BYTES) throw new DecodeError('header over its size limit')
  const header = decodeHeader(headerBytes)
  if (!v.is(SignatureSchema, signature)) throw new DecodeError('a header signature that is not 64 bytes')
  return { header, signature, hash: hash(headerBytes) }
}
