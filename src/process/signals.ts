import os from 'node:os';
import { runCleanup, type RunCleanup } from './cleanup.js';

/** Ctrl-C, a cancelled job (GitHub sends SIGINT then SIGTERM, GitLab SIGTERM), a closed terminal. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** However long removal takes, the process is gone by then (GitHub kills the step 7.5 s after SIGINT). */
const HARD_DEADLINE_MS = 8_000;

/** The status a shell reports for a process ended by `signal`: 128 + its number. */
export function signalExitStatus(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

export interface StopOnSignalsOptions {
  cleanup?: RunCleanup;
  /** One line for whoever watches: what is being stopped, what could not be removed. */
  report?: (message: string) => void;
  exit?: (status: number) => void;
}

/**
 * Makes SIGINT/SIGTERM/SIGHUP stop the run instead of ending node on the spot (which emits no 'exit'
 * and so left every detached process group and the keyring behind): end the process groups, remove the
 * keyrings and temporary copies, then exit with the signal's status. Returns the uninstaller.
 */
export function stopOnSignals(options: StopOnSignalsOptions = {}): () => void {
  const cleanup = options.cleanup ?? runCleanup;
  const report = options.report ?? ((message: string) => process.stderr.write(`mkosi-ci: ${message}\n`));
  const exit = options.exit ?? ((status: number) => process.exit(status));
  let exiting = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cleanup.cancelledBy) {
      // A second signal: no more grace for the processes, the removals still run.
      void cleanup.cancel(signal, report);
      return;
    }
    const status = signalExitStatus(signal);
    const groups = cleanup.processGroups().length;
    const paths = cleanup.paths().length;
    report(`${signal}: stopping ${groups} process group(s), removing ${paths} temporary director(ies).`);
    const finish = (): void => {
      if (exiting) return;
      exiting = true;
      exit(status);
    };
    setTimeout(() => {
      cleanup.killAllNow();
      report(`${signal}: removal did not finish within ${HARD_DEADLINE_MS / 1000} s; exiting anyway.`);
      finish();
    }, HARD_DEADLINE_MS);
    void cleanup.cancel(signal, report).finally(finish);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, onSignal);
  };
}
