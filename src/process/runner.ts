import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { access, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream';
import type { RunOptions, RunResult, Runner } from '../ports.js';
import { runCleanup, type RunCleanup } from './cleanup.js';
import { childEnvironment } from './environment.js';
import { MaskingStream, runSecrets, type SecretSet } from './mask.js';

/** What is kept of a streamed process's output in memory: enough to quote its last error lines. */
const STREAMED_TAIL_BYTES = 64 * 1024;
const KILL_GRACE_MS = 5_000;

class OutputBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) > this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }
  toString(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function killTree(pid: number, signal: NodeJS.Signals): void {
  try {
    // The child leads its own process group (detached), so this reaches everything it started.
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Ends the process tree of `pid` (SIGTERM, then SIGKILL after a grace) after `timeoutMs` or when `until`
 * aborts, whichever comes first. `clear` once the process is gone.
 */
function endWhenAsked(
  pid: number | undefined,
  options: Pick<RunOptions, 'timeoutMs' | 'until'>,
): { timedOut: () => boolean; clear: () => void } {
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (killTimer) return;
    if (pid) killTree(pid, 'SIGTERM');
    killTimer = setTimeout(() => pid && killTree(pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        stop();
      }, options.timeoutMs)
    : undefined;
  if (options.until?.aborted) stop();
  options.until?.addEventListener('abort', stop, { once: true });
  return {
    timedOut: () => timedOut,
    clear: () => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.until?.removeEventListener('abort', stop);
    },
  };
}

export interface ProcessRunnerOptions {
  /** Where process groups are registered for a signal to end (default: this process's registry). */
  cleanup?: RunCleanup;
  /** The secrets masked in the stream and the log files (default: those the Log's mask() was given). */
  secrets?: SecretSet;
}

/**
 * Runs processes with an argument array (never a shell string), streams their output to `sink`,
 * copies it to a log file, both with every known secret masked, and kills the whole process tree on
 * timeout or when mkosi-ci is stopped (each child leads a process group registered in `cleanup`).
 */
export class ProcessRunner implements Runner {
  /** What every child starts from: the given environment without the CI platform's secrets. */
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly cleanup: RunCleanup;
  private readonly secrets: SecretSet;

  constructor(
    private readonly sink: (chunk: Buffer) => void,
    env: NodeJS.ProcessEnv,
    options: ProcessRunnerOptions = {},
  ) {
    this.baseEnv = childEnvironment(env);
    this.cleanup = options.cleanup ?? runCleanup;
    this.secrets = options.secrets ?? runSecrets;
  }

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (this.cleanup.cancelledBy) {
      throw new Error(`mkosi-ci is stopping (${this.cleanup.cancelledBy}): ${command} not started.`);
    }
    const env: NodeJS.ProcessEnv = { ...this.baseEnv };
    for (const [key, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    const stream = options.stream ?? true;
    let logFile: WriteStream | undefined;
    if (options.logFile) {
      await mkdir(path.dirname(options.logFile), { recursive: true });
      logFile = createWriteStream(options.logFile, { flags: 'a' });
    }
    const limit = stream ? STREAMED_TAIL_BYTES : Number.MAX_SAFE_INTEGER;
    const stdout = new OutputBuffer(limit);
    const stderr = new OutputBuffer(limit);

    return await new Promise<RunResult>((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env,
        detached: true,
        stdio: [options.input === undefined && !options.stdin ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      const forget = child.pid ? this.cleanup.addProcessGroup(child.pid) : () => undefined;
      const ending = endWhenAsked(child.pid, options);
      // What the caller parses stays as printed; what is written out for people is masked.
      const print = (masked: Buffer): void => {
        if (masked.length === 0) return;
        logFile?.write(masked);
        if (stream) this.sink(masked);
      };
      const masks = [new MaskingStream(this.secrets), new MaskingStream(this.secrets)] as const;
      const handle = (buffer: OutputBuffer, mask: MaskingStream) => (chunk: Buffer) => {
        buffer.push(chunk);
        print(mask.push(chunk));
      };
      // A failing stream is the business of whoever owns it: here it only ends the pipe, so the process
      // sees end of input or EPIPE and its exit status says the rest.
      if (options.stdout) pipeline(child.stdout!, options.stdout, () => {});
      else child.stdout?.on('data', handle(stdout, masks[0]));
      child.stderr?.on('data', handle(stderr, masks[1]));
      if (options.stdin) pipeline(options.stdin, child.stdin!, () => {});
      else if (options.input !== undefined) {
        child.stdin?.end(options.input);
      }
      child.on('error', (error) => {
        ending.clear();
        forget();
        logFile?.end();
        reject(error);
      });
      child.on('close', (code, signal) => {
        ending.clear();
        forget();
        for (const mask of masks) print(mask.end());
        const result: RunResult = {
          exitCode: code ?? 128,
          signal: signal ?? null,
          timedOut: ending.timedOut(),
          stdout: stdout.toString(),
          stderr: stderr.toString(),
        };
        if (logFile) logFile.end(() => resolve(result));
        else resolve(result);
      });
    });
  }

  async which(command: string): Promise<string | undefined> {
    if (command.includes('/')) return command;
    for (const dir of (this.baseEnv.PATH ?? '').split(':')) {
      if (!dir) continue;
      const candidate = path.join(dir, command);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Not here.
      }
    }
    return undefined;
  }
}
