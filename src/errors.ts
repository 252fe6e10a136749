/** Base class of every error pp-node throws: a stable machine-readable `code` and a readable message. */
export class PPError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** Thrown when a store cannot be opened or used (locked by another process, closed, blocked by the browser). */
export class StoreUnavailableError extends PPError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, options)
  }
}

/** Thrown when a write fails because the disk or the browser's storage quota is full. */
export class StoreFullError extends PPError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_FULL', message, options)
  }
}

/** Thrown when a store holds data this version cannot read: another program's database, or damaged records. */
export class StoreCorruptError extends PPError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_CORRUPT', message, options)
  }
}

/** Thrown when asked for best-chain blocks below the history this node keeps; `horizon` is the lowest it has. */
export class HistoryPrunedError extends PPError {
  readonly horizon: number

  constructor(horizon: number, message: string) {
    super('HISTORY_PRUNED', message)
    this.horizon = horizon
  }
}

/** Thrown when a configuration or genesis value is missing or out of range; the message names the field. */
export class ConfigError extends PPError {
  constructor(message: string) {
    super('CONFIG_INVALID', message)
  }
}

/** Thrown when bytes are not valid canonical DAG-CBOR or do not have the expected shape. */
export class DecodeError extends PPError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DECODE_FAILED', message, options)
  }
}

/** Thrown when peer input is dropped because the intake queue is full (the sender is the heaviest). */
export class IntakeFullError extends PPError {
  constructor(message: string) {
    super('INTAKE_FULL', message)
  }
}

/** Thrown when a method needs a started node. */
export class NodeNotRunningError extends PPError {
  constructor(what: string) {
    super('NODE_NOT_RUNNING', `${what}: the node is not running (call start() first)`)
  }
}

/** Thrown when a proof against a state root is asked of a chain whose headers carry none (protocol version 1). */
export class NoStateRootError extends PPError {
  constructor(message: string) {
    super('NO_STATE_ROOT', message)
  }
}

/** Thrown when the mempool has no room left for a transaction. */
export class MempoolFullError extends PPError {
  constructor(message: string) {
    super('MEMPOOL_FULL', message)
  }
}

/** Thrown when a sender already has as many pending transactions as the mempool holds for one sender. */
export class SenderLimitError extends PPError {
  constructor(message: string) {
    super('SENDER_LIMIT', message)
  }
}
