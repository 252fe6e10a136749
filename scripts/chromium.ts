// How every part of pp-node starts Debian's Chromium: the binary and the flags this closed network needs.

/** The Chromium binary (Debian's), or $CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Headless flags: no sandbox as root, no GPU, no QUIC, and no background calls to the internet. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
