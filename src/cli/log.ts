import type { Log } from '../ports.js';
import { formatDuration } from '../report/format.js';

/** The Log port on a terminal or another CI: plain lines, groups as headings. */
export function consoleLog(
  debugEnabled: () => boolean,
  write = (text: string) => process.stderr.write(text),
): Log {
  const secrets: string[] = [];
  const started = Date.now();
  const scrub = (message: string): string => secrets.reduce((m, s) => m.split(s).join('***'), message);
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
      write(`▶ ${name} [+${formatDuration(Date.now() - started)}]\n`);
      return await fn();
    },
    mask: (secret) => {
      if (secret) secrets.push(secret);
    },
  };
}
