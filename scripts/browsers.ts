// How every part of pp-node starts Debian's browsers: the binaries and the flags this closed network needs.

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

/** The Firefox binary (Debian's firefox-esr), or $FIREFOX_PATH; driven by puppeteer-core over WebDriver BiDi. */
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'

/** Firefox preferences: no background calls to the internet (updates, telemetry, safe browsing). */
export const FIREFOX_PREFS = {
  'app.update.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
}
