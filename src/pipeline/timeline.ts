import type { StageName } from './stage.js';

/** One timed piece of work of the run, for the job summary's timeline. */
export interface Phase {
  stage: StageName;
  name: string;
  /** Milliseconds from the start of the run. */
  startMs: number;
  durationMs: number;
  ok: boolean;
}

/** Runs one phase of a stage, timed for the timeline. */
export type TimePhase = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/** Records phases as the stages run them; times are relative to the start of the run. */
export class Timeline {
  readonly phases: Phase[] = [];
  private readonly origin: number;

  constructor(private readonly now: () => number = Date.now) {
    this.origin = now();
  }

  /** Runs `fn` as the phase `name` of `stage`; a phase that throws is recorded as failed. */
  async time<T>(stage: StageName, name: string, fn: () => Promise<T>): Promise<T> {
    const start = this.now();
    let ok = false;
    try {
      const value = await fn();
      ok = true;
      return value;
    } finally {
      this.phases.push({
        stage,
        name,
        startMs: start - this.origin,
        durationMs: this.now() - start,
        ok,
      });
    }
  }

  /** Milliseconds since the run started. */
  elapsed(): number {
    return this.now() - this.origin;
  }
}
