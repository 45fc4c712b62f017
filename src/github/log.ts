import * as core from '@actions/core';
import { runSecrets, secretLinesOf, type SecretSet } from '../process/mask.js';
import type { Annotation, Log } from '../ports.js';
import { childOutputFence, type CommandFence } from './command-fence.js';

function properties(annotation: Annotation | undefined): core.AnnotationProperties {
  return { file: annotation?.file, startLine: annotation?.line, title: annotation?.title };
}

/**
 * The Log port on the runner: workflow commands for groups, annotations and masking, each issued with
 * the children's command fence lifted (their data is escaped by @actions/core); plain lines stay behind
 * it. A mask also reaches the runner's log files and stream (the shared secrets).
 */
export function createActionsLog(fence: CommandFence, secrets: SecretSet): Log {
  const lifted =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R => {
      fence.lift();
      return fn(...args);
    };
  return {
    // Plain text needs no command: it goes out fenced too, so text quoted from a child stays inert.
    info: (message) => fence.output(Buffer.from(`${message}\n`)),
    warning: lifted((message: string, annotation?: Annotation) =>
      core.warning(message, properties(annotation)),
    ),
    error: lifted((message: string, annotation?: Annotation) => core.error(message, properties(annotation))),
    debug: lifted((message: string) => core.debug(message)),
    group: lifted(<T>(name: string, fn: () => Promise<T>) =>
      core.group(name, async () => {
        try {
          return await fn();
        } finally {
          // `::endgroup::` is a command too.
          fence.lift();
        }
      }),
    ),
    mask: lifted((secret: string) => {
      if (!secret) return;
      secrets.add(secret);
      // The runner masks a multi-line value only whole: a key printed line by line needs each line.
      for (const value of [secret, ...secretLinesOf(secret)]) core.setSecret(value);
    }),
  };
}

export const actionsLog: Log = createActionsLog(childOutputFence, runSecrets);
