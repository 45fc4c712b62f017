import { maskText, runSecrets, type SecretSet } from '../process/mask.js';
import type { Log } from '../ports.js';
import { formatDuration } from '../report/format.js';

/**
 * The Log port on a terminal or another CI: plain lines, groups as headings, secrets masked. The secrets
 * are shared with the runner, which masks the same values in the children's output and log files.
 */
export function consoleLog(
  debugEnabled: () => boolean,
  write: (text: string) => void = (text) => process.stderr.write(text),
  secrets: SecretSet = runSecrets,
): Log {
  const started = Date.now();
  const scrub = (message: string): string => maskText(message, secrets);
  const where = (a?: { file?: string; line?: number }): string =>
    a?.file ? ` (${a.file}${a.line ? `:${a.line}` : ''})` : '';
  return {
    info: (message) => write(`${scrub(message)}\n`),
    warning: (message, annotation) => write(`warning: ${scrub(message)}${where(annotation)}\n`),
    error: (message, annotation) => write(`error: ${scrub(message)}${where(annotation)}\n`),
    debug: (message) => {
      if (debugEnabled()) write(`debug: ${scrub(message)}\n`);
    },
    group: async (name, fn) => {
      write(`▶ ${scrub(name)} [+${formatDuration(Date.now() - started)}]\n`);
      return await fn();
    },
    mask: (secret) => secrets.add(secret),
  };
}
