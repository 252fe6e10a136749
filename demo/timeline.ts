import { blockToJson, toHex } from '../src/index.ts'
import type { Block } from '../src/ledger/block.ts'

/** Blocks seen per slot; which of them are on the best chain is decided at render time. */
export class SlotTimeline {
  private readonly seen = new Map<number, Block[]>()
  private readonly element: HTMLElement
  private readonly detail: HTMLElement
  private readonly ownIssuer: string

  constructor(element: HTMLElement, detail: HTMLElement, ownIssuer: string) {
    this.element = element
    this.detail = detail
    this.ownIssuer = ownIssuer
    element.addEventListener('click', (event) => {
      const target = event.target as HTMLElement
      const slot = Number(target.dataset.slot)
      const block = this.seen.get(slot)?.find((b) => toHex(b.hash) === target.dataset.hash)
      if (block === undefined) return
      this.detail.hidden = false
      this.detail.textContent = JSON.stringify(blockToJson(block), null, 2)
    })
  }

  /** Remembers a block added to the chain (it may later be orphaned by a reorg). */
  add(block: Block): void {
    const list = this.seen.get(block.header.slot) ?? []
    if (!list.some((b) => toHex(b.hash) === toHex(block.hash))) list.push(block)
    this.seen.set(block.header.slot, list)
    for (const slot of this.seen.keys()) if (slot < block.header.slot - 200) this.seen.delete(slot)
  }

  /**
   * Draws the 60 slots up to `current`. `onChain` holds the best chain's hashes up to block
   * `knownTip`; blocks added since are on the best chain too until a refresh says otherwise.
   */
  render(current: number, onChain: Set<string>, knownTip: number): void {
    const cells: string[] = []
    for (let slot = Math.max(0, current - 59); slot <= current; slot++) {
      const blocks = this.seen.get(slot) ?? []
      const best = blocks.find((b) => onChain.has(toHex(b.hash)) || b.header.index > knownTip)
      const shown = best ?? blocks[0]
      if (shown === undefined) {
        cells.push(`<span class="cell empty" title="slot ${slot}: empty"></span>`)
        continue
      }
      const hash = toHex(shown.hash)
      const own = toHex(shown.header.issuer) === this.ownIssuer ? ' own' : ''
      const kind = best ? `block${own}` : 'fork'
      const title = `slot ${slot}: block ${shown.header.index} ${hash.slice(0, 10)}${best ? '' : ' (orphaned)'}${blocks.length > 1 ? `, ${blocks.length} blocks seen` : ''}`
      cells.push(
        `<button class="cell ${kind}" data-slot="${slot}" data-hash="${hash}" title="${title}" aria-label="${title}"></button>`,
      )
    }
    this.element.innerHTML = cells.join('')
  }
}
