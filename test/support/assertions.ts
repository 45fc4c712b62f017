import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A user error is one line, with no stack trace anywhere in the log. */
export function expectNoStackTrace(log: string): void {
  if (/^\s+at .+:\d+:\d+\)?$/m.test(log)) {
    throw new Error(`the log contains a stack trace:\n${log}`);
  }
}
