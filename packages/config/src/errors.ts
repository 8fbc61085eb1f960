import { formatIssue } from './issues.js';
import type { ConfigIssue } from './types.js';

/** Stable codes of @kepler/config errors. */
export const CONFIG_ERROR_CODES = ['CONFIG_INVALID', 'CONFIG_NOT_FOUND'] as const;
/** `CONFIG_INVALID` (problems in the file) or `CONFIG_NOT_FOUND` (no file to read). */
export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

/**
 * The one error @kepler/config throws for a user's mistake: a config that cannot be found
 * (`CONFIG_NOT_FOUND`) or that has problems (`CONFIG_INVALID`). `issues` lists every problem found, each
 * with its file, line, column and key path; the message repeats them one per line. It never stands for
 * a bug in Kepler: those surface as ordinary errors.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly issues: readonly ConfigIssue[];

  constructor(code: ConfigErrorCode, issues: readonly ConfigIssue[], message?: string) {
    super(message ?? ConfigError.summarize(code, issues));
    this.code = code;
    this.issues = Object.freeze([...issues]);
  }

  private static summarize(code: ConfigErrorCode, issues: readonly ConfigIssue[]): string {
    if (issues.length === 1 && issues[0]) return formatIssue(issues[0]);
    const head =
      code === 'CONFIG_NOT_FOUND' ? 'config not found' : `invalid config: ${issues.length} problems`;
    return [head, ...issues.map((issue) => formatIssue(issue))].join('\n');
  }
}
