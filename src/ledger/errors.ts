import { PPError } from '../errors.ts'

/** Base of every reason a transaction or block is refused; `code` says which rule it broke. */
export class ValidationError extends PPError {}

/** Thrown when a signature does not verify against the signer's public key. */
export class BadSignatureError extends ValidationError {
  constructor(message: string) {
    super('BAD_SIGNATURE', message)
  }
}

/** Thrown when a transaction's public key does not own its `from` address. */
export class SenderKeyMismatchError extends ValidationError {
  constructor(message: string) {
    super('SENDER_KEY_MISMATCH', message)
  }
}

/** Thrown when a transaction spends from an account that has never received anything. */
export class UnknownSenderError extends ValidationError {
  constructor(message: string) {
    super('UNKNOWN_SENDER', message)
  }
}

/** Thrown when amount plus fee exceeds the sender's balance. */
export class InsufficientBalanceError extends ValidationError {
  constructor(message: string) {
    super('INSUFFICIENT_BALANCE', message)
  }
}

/** Thrown when a transaction's nonce is not the sender's next one (a replay, or a gap). */
export class BadNonceError extends ValidationError {
  constructor(message: string) {
    super('BAD_NONCE', message)
  }
}

/** Thrown when an amount is zero or negative, or a fee is negative. */
export class BadAmountError extends ValidationError {
  constructor(message: string) {
    super('BAD_AMOUNT', message)
  }
}

/** Thrown when a transaction's fee is below the chain's minimum (genesis `minFee`). */
export class FeeTooLowError extends ValidationError {
  constructor(message: string) {
    super('FEE_TOO_LOW', message)
  }
}

/** Thrown when a memo is over the size limit. */
export class MemoTooLargeError extends ValidationError {
  constructor(message: string) {
    super('MEMO_TOO_LARGE', message)
  }
}

/** Thrown when a transaction was signed for another chain. */
export class WrongChainError extends ValidationError {
  constructor(message: string) {
    super('WRONG_CHAIN', message)
  }
}

/** Thrown when a transaction appears twice in one block, or again after it was included. */
export class DuplicateTxError extends ValidationError {
  constructor(message: string) {
    super('DUPLICATE_TX', message)
  }
}

/** Thrown when a header's body hash does not match the transactions it carries. */
export class BodyHashMismatchError extends ValidationError {
  constructor(message: string) {
    super('BODY_HASH_MISMATCH', message)
  }
}

/** Thrown when a header's state root is not the root of the state its block leads to (or is missing). */
export class StateRootMismatchError extends ValidationError {
  constructor(message: string) {
    super('STATE_ROOT_MISMATCH', message)
  }
}

/** Thrown when a state snapshot's manifest or chunk does not fit the state root it claims (its peer lied). */
export class SnapshotMismatchError extends ValidationError {
  constructor(message: string) {
    super('SNAPSHOT_MISMATCH', message)
  }
}

/** Thrown when an encoded block is over the chain's maximum block size. */
export class BlockTooLargeError extends ValidationError {
  constructor(message: string) {
    super('BLOCK_TOO_LARGE', message)
  }
}

/** Thrown when a block carries more transactions than the chain allows. */
export class TooManyTxsError extends ValidationError {
  constructor(message: string) {
    super('TOO_MANY_TXS', message)
  }
}

/** Thrown when a block does not extend the chain it is applied to (wrong parent hash or index). */
export class BadParentError extends ValidationError {
  constructor(message: string) {
    super('BAD_PARENT', message)
  }
}

/** Thrown when a block's slot is not after its parent's slot. */
export class SlotNotIncreasingError extends ValidationError {
  constructor(message: string) {
    super('SLOT_NOT_INCREASING', message)
  }
}

/** Thrown when adopting a fork would roll back more than k blocks. */
export class ForkTooDeepError extends ValidationError {
  constructor(message: string) {
    super('FORK_TOO_DEEP', message)
  }
}

/** Thrown when a block's parent is not known (yet): its ancestors must be fetched first. */
export class UnknownParentError extends ValidationError {
  constructor(message: string) {
    super('UNKNOWN_PARENT', message)
  }
}

/** Thrown when a pool registers a VRF key another pool already uses, or one that is not a valid key. */
export class BadVrfKeyError extends ValidationError {
  constructor(message: string) {
    super('BAD_VRF_KEY', message)
  }
}

/** Thrown when a block descends from a block already found invalid. */
export class InvalidAncestorError extends ValidationError {
  constructor(message: string) {
    super('INVALID_ANCESTOR', message)
  }
}

/** Thrown when a string is not a well-formed pp-node address or its checksum does not match. */
export class InvalidAddressError extends PPError {
  constructor(message: string) {
    super('INVALID_ADDRESS', message)
  }
}
