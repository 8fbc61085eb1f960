/** Stable codes of log-store errors. */
export type LogErrorCode = 'LOG_BAD_SOURCE' | 'LOG_WRITE_FAILED' | 'LOG_FOLLOWER_FAILED';

/**
 * An error from the log store. Capture never throws at a running service because of a disk problem:
 * write failures are reported through `LogStore`'s `onError` with `LOG_WRITE_FAILED` and the data is
 * dropped; a follower callback that throws is reported with `LOG_FOLLOWER_FAILED`. `LOG_BAD_SOURCE` is thrown by `LogStore.sink()` for a name that would escape the logs dir.
 */
export class LogError extends Error {
  override readonly name = 'LogError';
  constructor(
    readonly code: LogErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
