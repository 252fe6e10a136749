/** The full `<script>` build (dist/pp-node-full.min.js, the global `PPNode`): everything of the browser entry, the node on the page. */
export * from './package-entry.ts'
