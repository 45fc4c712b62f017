import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * What a run leaves behind while it works and must not leave when it is stopped: the process groups
 * the runner started (mkosi, qemu, vhost-device-vsock, gpg) and steps that remove a keyring or a
 * temporary copy. One registry per process, because a signal belongs to the process, not to a stage.
 */

/** How long a process group gets to end after SIGTERM before it gets SIGKILL. */
const TERM_GRACE_MS = 3_000;
/** How long one removal step may take while the run is being stopped. */
const STEP_LIMIT_MS = 3_000;
const POLL_MS = 50;
/** How long SIGKILLed processes get to be gone from /proc (or zombies) before removal goes on. */
const KILL_SETTLE_MS = 1_000;

export interface CleanupStep {
  /** Shown when the step fails while stopping, e.g. `keyring /tmp/mkosi-ci-gnupg-x`. */
  what: string;
  /** A directory the step removes, so an adapter can record it for a later process (the post step). */
  path?: string;
  run: () => Promise<void> | void;
}

/**
 * The fields of /proc/PID/stat after `pid (comm)`: `state ppid pgrp …`. comm may hold spaces and
 * parentheses, so they are read from the last ')'.
 */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Whether a process in this state has ended (a zombie has, and so has a dead one). */
function ended(state: string | undefined): boolean {
  return state === 'Z' || state === 'X';
}

/** The members of a process group that have not ended (zombies have ended), from /proc. */
export function livingMembers(pgid: number, proc = '/proc'): number[] {
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return signalReaches(pgid) ? [pgid] : [];
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`${proc}/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = statFields(stat);
    if (Number(fields[2]) === pgid && !ended(fields[0])) members.push(Number(entry));
  }
  return members;
}

/** Living processes whose command line (arguments joined by spaces) contains `text`, from /proc. */
export function processesMentioning(text: string, proc = '/proc'): number[] {
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`${proc}/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      const [state] = statFields(readFileSync(`${proc}/${entry}/stat`, 'utf8'));
      if (cmdline.includes(text) && !ended(state)) found.push(Number(entry));
    } catch {
      // Ended while being read.
    }
  }
  return found;
}

/**
 * Ends the processes whose command line contains `text` (a daemon such as gpg-agent, which leaves the
 * process group it was started in): waits `graceMs` for them to go after a polite request elsewhere,
 * then SIGKILLs what is left and waits for it to be gone.
 */
export async function endProcessesMentioning(text: string, graceMs = 1_000): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && processesMentioning(text).length > 0) await sleep(POLL_MS);
  const left = processesMentioning(text);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const settle = Date.now() + KILL_SETTLE_MS;
  while (left.length > 0 && Date.now() < settle && processesMentioning(text).length > 0) await sleep(POLL_MS);
}

function signalReaches(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function withinLimit(work: Promise<void> | void, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([Promise.resolve(work), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a program (argument array, no shell) for a removal step, when the runner no longer starts any. */
export function runCleanupCommand(
  command: string,
  args: readonly string[],
  timeoutMs = 2_000,
): Promise<void> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, () => resolve());
  });
}

export class RunCleanup {
  private readonly groups = new Set<number>();
  private readonly steps = new Set<CleanupStep>();
  private readonly pathListeners = new Set<(paths: string[]) => void>();
  private exitHookInstalled = false;
  private cancelling: Promise<void> | undefined;
  private stoppedBy: NodeJS.Signals | undefined;

  constructor(private readonly termGraceMs = TERM_GRACE_MS) {}

  /** The signal that is stopping the run, once one is: nothing new may start then. */
  get cancelledBy(): NodeJS.Signals | undefined {
    return this.stoppedBy;
  }

  /** A process group the run started; the returned function forgets it once its leader has ended. */
  addProcessGroup(pgid: number): () => void {
    this.installExitHook();
    this.groups.add(pgid);
    return () => this.groups.delete(pgid);
  }

  processGroups(): number[] {
    return [...this.groups];
  }

  /** A removal to do when the run is stopped; the returned function forgets it once done normally. */
  addStep(step: CleanupStep): () => void {
    this.steps.add(step);
    this.notifyPaths();
    return () => {
      if (this.steps.delete(step)) this.notifyPaths();
    };
  }

  /** The directories the pending steps remove. */
  paths(): string[] {
    return [...this.steps].flatMap((s) => (s.path ? [s.path] : []));
  }

  /** Called with the pending directories whenever they change (the action keeps them in its state). */
  onPathsChanged(listener: (paths: string[]) => void): () => void {
    this.pathListeners.add(listener);
    return () => this.pathListeners.delete(listener);
  }

  private notifyPaths(): void {
    const paths = this.paths();
    for (const listener of this.pathListeners) {
      try {
        listener(paths);
      } catch {
        // Recording is best effort; the removal itself still happens.
      }
    }
  }

  /** node's 'exit' comes on every normal end, never on a signal: a last SIGKILL for what is still there. */
  private installExitHook(): void {
    if (this.exitHookInstalled) return;
    this.exitHookInstalled = true;
    process.on('exit', () => this.killAllNow());
  }

  killAllNow(): void {
    for (const pgid of this.groups) killGroup(pgid, 'SIGKILL');
  }

  /**
   * Stops the run: SIGTERM to every process group, SIGKILL to what is left after the grace period,
   * then every removal step, newest first (a keyring before the directory holding it). Resolves when
   * done; a second call (a second signal) kills the groups at once and waits for the same work.
   */
  cancel(signal: NodeJS.Signals, report: (message: string) => void = () => undefined): Promise<void> {
    if (this.cancelling) {
      this.killAllNow();
      return this.cancelling;
    }
    this.stoppedBy = signal;
    this.cancelling = this.stop(report);
    return this.cancelling;
  }

  /** Resolves at once when the run is not being stopped, else when stopping is done. */
  settled(): Promise<void> {
    return this.cancelling ?? Promise.resolve();
  }

  /** Waits until none of `groups` (nor of the registered ones) has a living member, or the time is up. */
  private async groupsEnded(groups: Set<number>, withinMs: number): Promise<void> {
    const deadline = Date.now() + withinMs;
    const alive = (): boolean => [...groups, ...this.groups].some((g) => livingMembers(g).length > 0);
    while (Date.now() < deadline && alive()) await sleep(POLL_MS);
  }

  private async stop(report: (message: string) => void): Promise<void> {
    // The runner forgets a group once its leader is reaped; its other members may still be there.
    const stopping = new Set(this.groups);
    for (const pgid of stopping) killGroup(pgid, 'SIGTERM');
    await this.groupsEnded(stopping, this.termGraceMs);
    // Groups started while waiting are caught here too.
    for (const pgid of new Set([...stopping, ...this.groups])) killGroup(pgid, 'SIGKILL');
    // A killed process still holds its slot for a moment while the kernel tears it down.
    await this.groupsEnded(stopping, KILL_SETTLE_MS);
    for (const step of [...this.steps].reverse()) {
      try {
        await withinLimit(step.run(), STEP_LIMIT_MS);
      } catch (error) {
        report(`could not remove ${step.what}: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.steps.delete(step);
    }
    this.notifyPaths();
  }
}

/** The registry of this process: the runner and the keyring register into it, the entry points stop it. */
export const runCleanup = new RunCleanup();
