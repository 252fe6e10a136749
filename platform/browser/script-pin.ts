// The chain a page pins in its <script> tag: <script src="pp-node.min.js" data-genesis-hash="…">.

/** The genesis hash the `<script>` tag that loaded this build pins (`data-genesis-hash`), if any. */
const SCRIPT_GENESIS_HASH: string | undefined = (
  globalThis.document?.currentScript as HTMLScriptElement | null | undefined
)?.dataset.genesisHash

/** `options` with the script tag's pinned genesis hash as their default `genesisHash`. */
export function withScriptPin<T extends { genesisHash?: string }>(options: T): T {
  return options.genesisHash === undefined && SCRIPT_GENESIS_HASH
    ? { ...options, genesisHash: SCRIPT_GENESIS_HASH }
    : options
}
