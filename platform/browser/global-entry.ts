/** The `<script>` build: everything of the browser entry, exposed as the global `PPNode`. */
export * from './package-entry.ts'
