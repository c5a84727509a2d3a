/**
 * Base class of every error the pipeline raises on purpose.
 *
 * `code` is stable and machine-readable, `retriable` tells callers whether trying again can help,
 * `hint` tells a human what to do about it. The class name is taken from the constructor so that
 * subclasses cannot drift from their names.
 */
export class PipelineError extends Error {
  /** Stable identifier, e.g. `CONFIG_INVALID`. */
  readonly code: string;
  /** Whether the same operation may succeed if tried again. */
  readonly retriable: boolean;
  /** What the user should do about it, one sentence. */
  readonly hint: string | undefined;

  constructor(
    message: string,
    options: { code: string; retriable?: boolean; hint?: string; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = this.constructor.name;
    this.code = options.code;
    this.retriable = options.retriable ?? false;
    this.hint = options.hint;
  }
}

/** A configuration value is missing or wrong. Lists every invalid key at once. */
export class ConfigError extends PipelineError {
  /** One entry per invalid key: `KEY: what is wrong`. */
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(`invalid configuration:\n  - ${issues.join('\n  - ')}`, {
      code: 'CONFIG_INVALID',
      hint: 'Fix the listed environment variables (see docs/configuration.md) and start again.',
    });
    this.issues = issues;
  }
}

/** A program the pipeline needs (java, mvn, initdb, …) is not installed. */
export class MissingPrerequisiteError extends PipelineError {
  /** The program that was looked for. */
  readonly program: string;

  constructor(program: string, hint: string) {
    super(`${program} was not found`, { code: 'PREREQUISITE_MISSING', hint });
    this.program = program;
  }
}

/** A component of the local stack did not become healthy in time, or failed. */
export class StackError extends PipelineError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { code: 'STACK_FAILED', ...options });
  }
}

/** Renders an error for a terminal: the message and, for our own errors, the hint. No stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof PipelineError) {
    return error.hint ? `${error.message}\n${error.hint}` : error.message;
  }
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
