/** Log levels of the relay's own lines, in rising severity. */
export type LogLevel = 'info' | 'warn' | 'error'

/** The relay's event log: one line per event, with time and level, as text or JSON for log shippers. */
export interface RelayLog {
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

/**
 * Writes `2026-11-27T18:00:00.000Z info  message` lines (or `{"time", "level", "msg", …fields}`
 * objects with `json`) to stdout, errors to stderr.
 */
export function createRelayLog(format: 'text' | 'json', now: () => Date = () => new Date()): RelayLog {
  const write = (level: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
    const line =
      format === 'json'
        ? JSON.stringify({ time: now().toISOString(), level, msg: message, ...fields }, (_, v) =>
            typeof v === 'bigint' ? v.toString() : v,
          )
        : `${now().toISOString()} ${level.padEnd(5)} ${message}`
    ;(level === 'error' ? process.stderr : process.stdout).write(`${line}\n`)
  }
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  }
}
