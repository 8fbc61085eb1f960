import type { ErrorCode } from '@kepler/protocol';

/** Base of every error the daemon raises on purpose; `code` is what goes on the wire. */
export class DaemonError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'DaemonError';
  }
}

/** Raised at start-up when the daemon cannot or must not run (not root, already running, symlinked dir). */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
