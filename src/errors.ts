/**
 * A problem the user can fix: a bad input, a broken project, a failing build. Its message is shown as
 * the one error line of the run (an annotation in the action), without a stack trace.
 * Anything else that is thrown is a bug in mkosi-ci and keeps its stack in the debug log.
 */
export class ConfigurationError extends Error {
  /** A file the error is about, for an annotation that points at it. */
  readonly file: string | undefined;

  constructor(message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ConfigurationError';
    this.file = options.file;
  }
}

export function isConfigurationError(error: unknown): error is ConfigurationError {
  return error instanceof ConfigurationError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
