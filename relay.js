#!/usr/bin/env node
// Entry point for `node relay.js` and the `pp-node` bin: checks the Node version, then runs the built relay.
const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  console.error(
    `pp-node needs Node 22 or newer (this is ${process.version}); run it with \`npm start\`, which uses the pinned Node 24.`,
  )
  process.exit(1)
}
try {
  await import('./dist/relay.js')
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/relay.js')) {
    console.error(
      'pp-node: the relay is not built yet; run `npm run build` (or `npm start`, which builds it).',
    )
    process.exit(1)
  }
  throw err
}
