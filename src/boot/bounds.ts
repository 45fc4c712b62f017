import { ConfigurationError } from '../errors.js';

/**
 * How the boot timeout is shared out. The guest must settle by a deadline on its own clock (uptime), so
 * a slow firmware or kernel eats into the settle share and not into the time left to report:
 *
 *   boot-timeout = settle deadline (guest uptime) + boot-watch + boot tests + reserve
 *
 * The reserve (a quarter of the timeout, at least 45 s) covers the firmware before the guest's clock
 * starts, writing the report (with the journal on failure) and powering off.
 */

/** Below this a deadline cannot tell a slow boot from a hung one (a TCG boot settles after 30-60 s). */
export const MIN_SETTLE_SECONDS = 30;

export function reserveSeconds(timeoutSeconds: number): number {
  return Math.max(45, Math.ceil(timeoutSeconds / 4));
}

/** The shortest boot-timeout that leaves the guest MIN_SETTLE_SECONDS with this boot-watch. */
export function minimumTimeoutSeconds(watchSeconds: number): number {
  let timeout = watchSeconds + MIN_SETTLE_SECONDS;
  while (timeout - watchSeconds - reserveSeconds(timeout) < MIN_SETTLE_SECONDS) timeout++;
  return timeout;
}

/**
 * The guest uptime (s) by which the boot must have settled. A timeout too short to leave a meaningful
 * share is refused rather than turned into a verdict on a boot that was never given the time.
 * `testSeconds`: the most the boot tests may take (their number times boot-test-timeout).
 */
export function settleBySeconds(timeoutSeconds: number, watchSeconds: number, testSeconds = 0): number {
  const settleBy = timeoutSeconds - watchSeconds - testSeconds - reserveSeconds(timeoutSeconds);
  if (settleBy < MIN_SETTLE_SECONDS) {
    // 'boot-timeout', 'boot-watch' and 'boot-test-timeout' are the inputs' names (Input.*).
    const tests = testSeconds > 0 ? `, the boot tests (${testSeconds} s of boot-test-timeout)` : '';
    const least = minimumTimeoutSeconds(watchSeconds + testSeconds);
    const lower = testSeconds > 0 ? 'lower boot-watch or boot-test-timeout' : 'lower boot-watch';
    throw new ConfigurationError(
      `Input boot-timeout: ${timeoutSeconds} s leaves the guest ${Math.max(0, settleBy)} s to settle once boot-watch (${watchSeconds} s)${tests} and ${reserveSeconds(timeoutSeconds)} s to start and report are taken; it needs at least ${MIN_SETTLE_SECONDS} s: set boot-timeout to ${least} or more, or ${lower}.`,
    );
  }
  return settleBy;
}
