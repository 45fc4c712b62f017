/** The oldest mkosi mkosi-ci drives: v26 settled the CLI dialect it speaks (options before the verb,
 * wrapped-command options after `--`, booleans with explicit values, ToolsTree=default). */
export const MINIMUM_MKOSI_VERSION = '26';

/** Parses the output of `mkosi --version` ("mkosi 27.1", "mkosi 28~devel") into a version string. */
export function parseVersionOutput(output: string): string | undefined {
  const match = /^mkosi\s+(\d+(?:\.\d+)*(?:~\w+)?)/m.exec(output.trim());
  return match?.[1];
}

/** Release tags are v27.1; mkosi reports 27.1. */
export function normalizeVersion(version: string): string {
  return version.replace(/^v/, '');
}

/** Compares dotted versions numerically; "28~devel" sorts before "28", as dpkg would. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string): { parts: number[]; tilde: boolean } => {
    const [main = '', pre] = normalizeVersion(v).split('~');
    return { parts: main.split('.').map((p) => Number.parseInt(p, 10) || 0), tilde: pre !== undefined };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.tilde !== y.tilde) return x.tilde ? -1 : 1;
  return 0;
}

export function isSupportedVersion(version: string): boolean {
  return compareVersions(version, MINIMUM_MKOSI_VERSION) >= 0;
}
