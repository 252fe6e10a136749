import { readFileSync } from 'node:fs'

/** The package version, read from the package.json above `relay/` (sources) or `dist/` (the build). */
export const VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version
