// A test that cannot take its strong path here (no root, no network namespace) is skipped, loudly:
// its reason goes to the output as one marked line, which scripts/test.js counts and, with CI=true, fails on.

/** The mark scripts/test.js looks for before a skipped test's reason. */
export const STRONG_PATH_SKIPPED = 'strong path skipped:'

/** Prints why the running test cannot take its strong path and marks it skipped (pending). */
export function skipStrongPath(test: Mocha.Context, reason: string): never {
  console.log(`      ${STRONG_PATH_SKIPPED} ${test.test?.title ?? 'a test'}: ${reason}`)
  test.skip()
}
