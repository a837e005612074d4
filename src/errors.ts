/**
 * One error type with a stable code and an exit code (docs/architecture.md).
 * The message is one sentence: what is wrong, the bad value, how to fix it.
 */
export const ExitCode = {
  ok: 0,
  bug: 1,
  usage: 2,
  awsAccess: 3,
  input: 4,
  /** a teardown (flow-log deletion) could not be verified */
  unverified: 5,
  abort: 130,
} as const;

export interface FlowdumpErrorOptions {
  exitCode?: number;
  cause?: unknown;
  /** extra machine-readable facts for --json */
  details?: Record<string, unknown>;
}

export class FlowdumpError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options: FlowdumpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FlowdumpError';
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.bug;
    this.details = options.details;
  }
}

/** Bad flags, bad arguments, missing inputs: exit 2. */
export class UsageError extends FlowdumpError {
  constructor(message: string, options: Omit<FlowdumpErrorOptions, 'exitCode'> & { code?: string } = {}) {
    super(options.code ?? 'usage', message, { ...options, exitCode: ExitCode.usage });
    this.name = 'UsageError';
  }
}

/** Credentials, permissions, region, throttling that outlived retries: exit 3. */
export class AwsAccessError extends FlowdumpError {
  constructor(code: string, message: string, options: Omit<FlowdumpErrorOptions, 'exitCode'> = {}) {
    super(code, message, { ...options, exitCode: ExitCode.awsAccess });
    this.name = 'AwsAccessError';
  }
}

/** Unreadable or damaged input data (truncated gzip, unreadable file): exit 4. */
export class InputError extends FlowdumpError {
  constructor(code: string, message: string, options: Omit<FlowdumpErrorOptions, 'exitCode'> = {}) {
    super(code, message, { ...options, exitCode: ExitCode.input });
    this.name = 'InputError';
  }
}

/** The user cancelled a prompt or pressed Ctrl-C: exit 130, shown softly. */
export class UserAbort extends FlowdumpError {
  constructor(message = 'cancelled') {
    super('aborted', message, { exitCode: ExitCode.abort });
    this.name = 'UserAbort';
  }
}

export function isFlowdumpError(error: unknown): error is FlowdumpError {
  return error instanceof FlowdumpError;
}
