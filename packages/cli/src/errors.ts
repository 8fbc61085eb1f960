/**
 * Errors the CLI raises itself. Every one carries a stable `code` and the exit code it maps to;
 * `BaseCommand.catch()` prints its message on one line without a stack. Errors from the daemon and
 * from @kepler/config keep their own classes and are mapped in `errorReport.ts`.
 */

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
/** A user mistake, a failed operation, or (for `daemon status`) a daemon that is not running. */
export const EXIT_FAILURE = 1;
/** The CLI could not talk to a daemon: not running, no permission on the socket, or another protocol. */
export const EXIT_NO_DAEMON = 2;
/** Interrupted by a second Ctrl+C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

export type CliErrorCode =
  | 'USAGE'
  | 'CONFIG_NOT_FOUND'
  | 'NOT_ROOT'
  | 'DAEMON_BINARY_NOT_FOUND'
  | 'DAEMON_START_FAILED'
  | 'DAEMON_STOP_TIMEOUT'
  | 'DAEMON_NOT_RUNNING'
  | 'UNKNOWN_SERVICE'
  | 'START_FAILED'
  | 'CONNECTION_LOST'
  /** `kepler dashboard`: the daemon serves no HTTP, or its token cannot be read. */
  | 'DASHBOARD_UNAVAILABLE';

/** Base class of the CLI's own errors: a one-line message, a stable code and an exit code. */
export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The user typed something the CLI cannot accept (a bad flag value, a missing flag, a bad combination). */
export class UsageError extends CliError {
  constructor(message: string) {
    super('USAGE', message, EXIT_FAILURE);
    this.name = 'UsageError';
  }
}

/** The `code` of an error-like value (a CliError, a Node system error, a wire error), or undefined. */
export function codeOf(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
