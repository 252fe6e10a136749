// The wallet card's backup controls: show or download the wallet's text backup, and restore one
// (stored in the origin-wide wallet record, then used by this tab after a reload).
import { exportWallet, importWallet, type WalletKeys } from './wallet-keeper.ts'

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T

/** Wires the backup controls of the demo page to `wallet`. */
export function showBackup(wallet: WalletKeys & { address: string }): void {
  const text = exportWallet(wallet)
  const output = $<HTMLTextAreaElement>('backup-text')
  $('backup-download').addEventListener('click', () => {
    const link = document.createElement('a')
    link.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }))
    link.download = `pp-wallet-${wallet.address}.json`
    link.click()
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
  })
  $('backup-show').addEventListener('click', () => {
    output.value = text
    output.hidden = false
    output.select()
  })
  $('backup-import').addEventListener('submit', (event) => {
    event.preventDefault()
    const status = $('backup-message')
    importWallet($<HTMLTextAreaElement>('backup-input').value.trim()).then(
      (address) => {
        status.textContent = `wallet ${address.slice(0, 12)}… restored; reloading to use it`
        status.className = 'message ok'
        setTimeout(() => location.reload(), 1000)
      },
      (err: Error & { code?: string }) => {
        status.textContent = `${err.code ?? 'ERROR'}: ${err.message}`
        status.className = 'message error'
      },
    )
  })
}
