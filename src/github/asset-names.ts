/**
 * Release asset names as GitHub stores them. GitHub renames an uploaded asset whose name has "special
 * characters, non-alphanumeric characters, and leading or trailing periods" (its REST documentation,
 * without the exact rule); observed: a space, a tilde, parentheses become a period
 * (`appName(x64)_1.0.msi` → `appName.x64._1.0.msi`). The listing then shows the new name, and a
 * downloader's `sha256sum -c SHA256SUMS` no longer finds the file. Since the rule is not published,
 * mkosi-ci trusts only names made of letters, digits, `.`, `_` and `-` that neither start nor end with a
 * period nor hold two periods in a row, and refuses the others before anything is uploaded.
 */

const STABLE_NAME = /^[A-Za-z0-9_-](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?$/;

/** Whether GitHub keeps `name` exactly as given. */
export function githubKeepsName(name: string): boolean {
  return STABLE_NAME.test(name) && !name.includes('..');
}

/**
 * About what GitHub makes of a name it does not keep: every run of other characters becomes one period,
 * periods do not repeat and do not lead or trail. An approximation, for messages (and the test server).
 */
export function githubAssetName(name: string): string {
  const renamed = name
    .replace(/[^A-Za-z0-9._-]+/g, '.')
    .replace(/\.{2,}/g, '.')
    .replace(/^\.+|\.+$/g, '');
  return renamed === '' ? 'default' : renamed;
}
