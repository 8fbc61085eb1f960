import type { ConfigIssue } from '@kepler/config';
import { daemonLocation, ProtocolError, RemoteError } from '@kepler/protocol';
import { CliError, EXIT_FAILURE, EXIT_NO_DAEMON } from './errors.js';
import { shellQuote } from './format/shellQuote.js';

/** Printed, exactly, whenever a command needs the daemon and none answers (and no variable is set). */
export const DAEMON_NOT_RUNNING_MESSAGE = 'Daemon is not running. Start it with: sudo kepler daemon start -d';

/** The not-running line for a user whose daemon is their own (not root, not in the `kepler` group). */
export const PERSONAL_DAEMON_NOT_RUNNING_MESSAGE =
  'Daemon is not running. Start it with: kepler daemon start -d';

/** Variables the daemon command needs that sudo drops (env_reset): the hint spells them out. */
const DAEMON_ENV_VARS = ['KEPLER_DAEMON_PATH', 'KEPLER_DAEMON_BIN'] as const;

/**
 * The not-running line for this environment: `kepler daemon start -d` for your own daemon, else
 * `sudo kepler daemon start -d`, with `KEPLER_DAEMON_PATH`
 * (and `KEPLER_DAEMON_BIN`) written after `sudo` when set, since sudo does not pass them on and the
 * daemon would otherwise start in /var/lib/kepler, where this CLI does not look.
 */
export function daemonNotRunningMessage(env: Readonly<Record<string, string | undefined>> = {}): string {
  // Your own daemon (the rule in @kepler/protocol) runs as you: no sudo, nothing to spell out.
  if (daemonLocation(env).kind === 'user') return PERSONAL_DAEMON_NOT_RUNNING_MESSAGE;
  const vars = DAEMON_ENV_VARS.filter((name) => env[name]).map((name) => `${name}=${shellQuote(env[name]!)}`);
  if (vars.length === 0) return DAEMON_NOT_RUNNING_MESSAGE;
  return `Daemon is not running. Start it with: sudo ${vars.join(' ')} kepler daemon start -d`;
}

/** Printed when the socket exists but this user may not connect to it. */
export const PERMISSION_DENIED_MESSAGE = [
  'Permission denied on the Kepler daemon socket.',
  'Users in the `kepler` group may use the CLI: add yourself with `sudo usermod -aG kepler $USER`,',
  'then log out and back in (or run `newgrp kepler`) so the new group applies.',
].join('\n');

/**
 * Printed instead when the daemon is your own (not root, not in the `kepler` group): its state directory
 * refuses you, so the group is not what is missing. `su` without `-` keeps another user's HOME and
 * XDG_STATE_HOME, which lands here.
 */
export function personalPermissionDeniedMessage(stateDir: string): string {
  return [
    `Permission denied on your own Kepler daemon's state directory, ${stateDir}: it is not yours.`,
    'It is $XDG_STATE_HOME/kepler, else ~/.local/state/kepler: check that XDG_STATE_HOME and HOME are yours',
    '(`su` keeps them from the user before; `su -` does not).',
  ].join('\n');
}

/** What a command prints for an error, and the exit code it leaves with. */
export interface ErrorReport {
  /** Text for stderr, newline-terminated. */
  readonly text: string;
  readonly exitCode: number;
}

/** How to render a config issue (@kepler/config's `formatIssue`, bound to the current directory). */
export type IssueFormatter = (issue: ConfigIssue) => string;

/**
 * Maps any error a command can throw to its message and exit code. This is the one place that decides:
 * - the CLI's own errors (`CliError`, `UsageError`): their message, their exit code;
 * - daemon unreachable (`DAEMON_NOT_RUNNING`, `PERMISSION_DENIED`, `PROTOCOL_MISMATCH`, and a
 *   connection that closed, timed out or broke framing on this side): exit 2;
 * - invalid config (`CONFIG_INVALID`, locally or from the daemon's `data.issues`): every issue, exit 1;
 * - any other error with a string `code` (daemon wire errors, ConfigError, Node system errors): its
 *   message on one line, exit 1;
 * - anything else is a bug: `Internal error` with the stack, exit 1.
 * With `verbose`, a stack is appended to every error that has one. `env` is the CLI's environment
 * (for the not-running hint).
 */
export function reportError(
  error: unknown,
  formatIssue: IssueFormatter,
  verbose: boolean,
  env: Readonly<Record<string, string | undefined>> = {},
): ErrorReport {
  const stack = (e: unknown) => (verbose && e instanceof Error && e.stack ? `${e.stack}\n` : '');
  if (error instanceof CliError)
    return { text: `${error.message}\n${stack(error)}`, exitCode: error.exitCode };
  const coded = asCoded(error);
  if (coded === null) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { text: `Internal error (a bug in Kepler, please report it): ${text}\n`, exitCode: EXIT_FAILURE };
  }
  switch (coded.code) {
    case 'DAEMON_NOT_RUNNING':
      return { text: `${daemonNotRunningMessage(env)}\n${stack(error)}`, exitCode: EXIT_NO_DAEMON };
    case 'PERMISSION_DENIED': {
      const location = daemonLocation(env);
      const message =
        location.kind === 'user'
          ? personalPermissionDeniedMessage(location.stateDir)
          : PERMISSION_DENIED_MESSAGE;
      return { text: `${message}\n${stack(error)}`, exitCode: EXIT_NO_DAEMON };
    }
    case 'PROTOCOL_MISMATCH':
      return { text: `${capitalize(coded.message)}\n${stack(error)}`, exitCode: EXIT_NO_DAEMON };
    case 'CONFIG_INVALID': {
      const issues = issuesOf(error);
      if (issues.length > 0) {
        return {
          text: `${issues.map((i) => formatIssue(i)).join('\n')}\n${stack(error)}`,
          exitCode: EXIT_FAILURE,
        };
      }
      break;
    }
  }
  // The connection itself failed (not an answer from the daemon): the daemon is unreachable.
  if (isLocalConnectionError(error)) {
    return {
      text: `Lost the connection to the daemon: ${firstLine(coded.message)}\n${stack(error)}`,
      exitCode: EXIT_NO_DAEMON,
    };
  }
  return { text: `${firstLine(coded.message)}\n${stack(error)}`, exitCode: EXIT_FAILURE };
}

const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'CONNECTION_CLOSED',
  'TIMEOUT',
  'BAD_FRAME',
  'FRAME_TOO_LARGE',
]);

function isLocalConnectionError(error: unknown): boolean {
  return (
    error instanceof ProtocolError && !(error instanceof RemoteError) && CONNECTION_CODES.has(error.code)
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

interface Coded {
  readonly code: string;
  readonly message: string;
}

function asCoded(error: unknown): Coded | null {
  if (error === null || typeof error !== 'object') return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || code === '') return null;
  return { code, message: typeof message === 'string' && message !== '' ? message : code };
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl === -1 ? text : text.slice(0, nl);
}

/** The issues of a CONFIG_INVALID error: `issues` on a ConfigError, `data.issues` on a wire error. */
export function issuesOf(error: unknown): ConfigIssue[] {
  if (error === null || typeof error !== 'object') return [];
  const e = error as { issues?: unknown; data?: unknown };
  const data = e.data !== null && typeof e.data === 'object' ? (e.data as { issues?: unknown }) : {};
  const list = Array.isArray(e.issues) ? e.issues : Array.isArray(data.issues) ? data.issues : [];
  return list.filter(isIssue);
}

function isIssue(value: unknown): value is ConfigIssue {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.file === 'string' && typeof v.path === 'string' && typeof v.message === 'string';
}
