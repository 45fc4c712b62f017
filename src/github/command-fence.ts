import { randomBytes } from 'node:crypto';

/**
 * Keeps the output of children (mkosi, the user's build scripts) from issuing workflow commands: it is
 * written between `::stop-commands::<token>` and `::<token>::`, so a line such as `::add-mask::`,
 * `::set-output` or `::error` printed by a build script is shown, not obeyed. The token is random per
 * run and never given to a child. mkosi-ci's own commands (groups, annotations, masks) are written with
 * the fence lifted: the Log calls `lift()` before each.
 */
export class CommandFence {
  private readonly token: string;
  private raised = false;
  private atLineStart = true;

  constructor(
    private readonly write: (data: string | Buffer) => void = (data) => process.stdout.write(data),
    token = randomBytes(16).toString('hex'),
  ) {
    this.token = token;
  }

  /** Child output: raises the fence first when it is down. */
  output(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (!this.raised) {
      // The stop command must start a line of its own, or the runner would not read it as one.
      this.write(`${this.atLineStart ? '' : '\n'}::stop-commands::${this.token}\n`);
      this.raised = true;
    }
    this.write(chunk);
    this.atLineStart = chunk[chunk.length - 1] === 0x0a;
  }

  /** Resumes workflow commands, on a line of its own, before mkosi-ci issues one. */
  lift(): void {
    if (!this.raised) return;
    this.write(`${this.atLineStart ? '' : '\n'}::${this.token}::\n`);
    this.raised = false;
    this.atLineStart = true;
  }
}

/** The fence of this process: the action's runner writes child output through it, its Log lifts it. */
export const childOutputFence = new CommandFence();
