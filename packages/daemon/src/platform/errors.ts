/** Stable codes of errors raised by the OS layer. */
export type PlatformErrorCode =
  | 'SPAWN_FAILED'
  | 'SPAWN_CANCELLED'
  | 'UNKNOWN_USER'
  | 'UNKNOWN_GROUP'
  /** A per-user daemon asked to run a process as another user or group. */
  | 'USER_NOT_ALLOWED'
  | 'UNKNOWN_SIGNAL'
  | 'OUTPUT_FAILED'
  | 'INVALID_TARGET';

/**
 * An OS-level failure with a stable `code`. The message is meant for the user (one line, no stack
 * needed): `command not found: foo`, `unknown user: bob`. The original error, if any, is in `cause`.
 */
export class PlatformError extends Error {
  readonly code: PlatformErrorCode;

  constructor(code: PlatformErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PlatformError';
    this.code = code;
  }
}

/** The errno code of a Node system error (`ENOENT`, `ESRCH`), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
