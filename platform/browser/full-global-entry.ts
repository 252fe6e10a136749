/** The full `<script>` build (dist/pp-node-full.min.js, the global `PPNode`): everything of the browser entry, the node on the page. */
import type { PPNode } from '../../src/node.ts'
import { type JoinRelayOptions, joinRelay as joinOnPage } from './join-relay.ts'
import { withScriptPin } from './script-pin.ts'

export * from './package-entry.ts'

/** joinRelay, with the script tag's `data-genesis-hash` as the default `genesisHash`. */
export function joinRelay(options: JoinRelayOptions = {}): Promise<PPNode> {
  return joinOnPage(withScriptPin(options))
}
