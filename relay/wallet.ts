/**
 * The small wallet behind `pp-node keygen | balance <address> | send …`, talking to a node's HTTP API.
 *
 * @example
 * pp-node keygen --out me.json
 * pp-node send --key me.json --to pp… --amount 100
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { nodeCrypto } from '../platform/node/crypto.ts'
import { fromHex, toHex } from '../src/encoding/hash.ts'
import { addressOf, parseAddress } from '../src/ledger/address.ts'
import { txToJson } from '../src/ledger/json.ts'
import { signTransaction } from '../src/ledger/transaction.ts'

const USAGE = `Usage:
  pp-node keygen [--out <file>]                       new key: prints (or writes) {secret, publicKey, address}
  pp-node balance <address> [--api <url>]             balance and nonce of an account
  pp-node send --key <file> --to <address> --amount <n> [--fee <n>] [--memo <text>] [--api <url>]
                                                      signs a transfer and submits it (POST /tx)
  --api defaults to $PP_API or http://127.0.0.1:8080`

/** Thrown for wallet misuse; printed as one line with exit code 2. */
class UsageError extends Error {}

async function api(base: string, path: string, init?: RequestInit): Promise<Record<string, unknown>> {
  let res: Response
  try {
    res = await fetch(new URL(path, base), init)
  } catch (err) {
    throw new Error(`cannot reach the node at ${base}: ${(err as Error).message}`)
  }
  const body = (await res.json()) as Record<string, unknown>
  const error = body.error as { code: string; message: string } | undefined
  if (!res.ok) throw new Error(error ? `${error.code}: ${error.message}` : `HTTP ${res.status}`)
  return body
}

function amount(name: string, text: string | undefined, fallback?: bigint): bigint {
  if (text === undefined && fallback !== undefined) return fallback
  if (text === undefined || !/^\d{1,30}$/.test(text)) throw new UsageError(`--${name} must be a whole number`)
  return BigInt(text)
}

/** Runs a wallet command; returns the process exit code. */
export async function runWallet(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        api: { type: 'string' },
        key: { type: 'string' },
        to: { type: 'string' },
        amount: { type: 'string' },
        fee: { type: 'string' },
        memo: { type: 'string' },
      },
    })
    const base = values.api ?? process.env.PP_API ?? 'http://127.0.0.1:8080'
    const [command, arg] = positionals
    if (command === 'keygen') {
      const secret = new Uint8Array(randomBytes(32))
      const publicKey = await nodeCrypto.publicKey(secret)
      const key = { secret: toHex(secret), publicKey: toHex(publicKey), address: addressOf(publicKey) }
      if (values.out) {
        await writeFile(values.out, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 })
        console.log(`wrote ${values.out}: address ${key.address}`)
      } else console.log(JSON.stringify(key, null, 2))
      return 0
    }
    if (command === 'balance') {
      const account = await api(base, `/accounts/${parseAddress(arg)}`)
      console.log(
        `${account.address}: balance ${account.balance}, nonce ${account.nonce}${account.pool ? ', stake pool' : ''}`,
      )
      return 0
    }
    if (command === 'send') {
      if (!values.key) throw new UsageError('send needs --key <file>')
      const key = JSON.parse(await readFile(values.key, 'utf8')) as { secret?: string }
      const secret = fromHex(key.secret ?? '')
      if (secret?.length !== 32) throw new UsageError(`${values.key}: "secret" must be 64 hex characters`)
      const from = addressOf(await nodeCrypto.publicKey(secret))
      const to = parseAddress(values.to, '--to')
      const value = amount('amount', values.amount)
      const status = await api(base, '/status')
      // Without --fee: the chain's minimum fee (genesis minFee), and at least 1.
      const minFee =
        values.fee === undefined ? BigInt(String((await api(base, '/genesis')).minFee ?? '0')) : 0n
      const fee = amount('fee', values.fee, minFee > 1n ? minFee : 1n)
      const account = await api(base, `/accounts/${from}`)
      const body = {
        type: 'transfer' as const,
        chainId: String(status.chainId),
        from,
        to,
        amount: value,
        fee,
        nonce: Number(account.nextNonce),
        ...(values.memo !== undefined && { memo: values.memo }),
      }
      const tx = await signTransaction(body, secret, nodeCrypto)
      const result = await api(base, '/tx', { method: 'POST', body: JSON.stringify(txToJson(tx)) })
      console.log(`submitted ${result.hash}: ${body.amount} from ${from} to ${body.to}`)
      return 0
    }
    throw new UsageError(command ? `unknown command "${command}"` : 'no command')
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`pp-node: ${(err as Error).message}\n${USAGE}`)
      return 2
    }
    console.error(`pp-node: ${(err as Error).message}`)
    return 1
  }
}
