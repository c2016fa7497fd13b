/**
 * The exit codes of the command line, as documented in the README.
 * Only src/cli.ts turns them into a process exit.
 */
export const ExitCode = {
  ok: 0,
  /** a gate, check, drill expectation or step failed; the finding was printed */
  findings: 1,
  /** the runbook or the command line is wrong, or a cluster cannot be reached; nothing changed */
  usage: 2,
  /** an action stopped on a stop criterion or a refused confirmation; the transcript is resumable */
  stopped: 3,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one error type that crosses module boundaries. `message` says what
 * happened and where; `hint` says what to do next.
 */
export class FailoverError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  /** true when the message was already shown to the user (the CLI only exits) */
  readonly reported: boolean;

  constructor(message: string, opts: { exitCode?: ExitCodeValue; hint?: string; cause?: unknown; reported?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FailoverError';
    this.exitCode = opts.exitCode ?? ExitCode.usage;
    this.hint = opts.hint;
    this.reported = opts.reported ?? false;
  }
}

/** An error already reported to the user; carries only the exit code. */
export class ExitError extends FailoverError {
  constructor(exitCode: ExitCodeValue) {
    super(`exit ${exitCode}`, { exitCode, reported: true });
    this.name = 'ExitError';
  }
}

export function isFailoverError(e: unknown): e is FailoverError {
  return e instanceof FailoverError;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
