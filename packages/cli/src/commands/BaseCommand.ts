import type { ConfigIssue } from '@kepler/config';
// The light entry point: resolving a path must not load the YAML parser and Lua (ps, stop, logs).
import { resolveConfigPath } from '@kepler/config/files';
import {
  type ConfigRef,
  DaemonClient,
  type DaemonLocation,
  daemonLocation,
  mayAutoStart,
  socketPath,
} from '@kepler/protocol';
import { Command, Option } from 'clipanion';
import { adhocRef, adhocServiceNames } from '../adhoc/adhocRef.js';
import { loadConfigLib } from '../configLib.js';
import { autoStartDaemon } from '../daemonProcess/autoStart.js';
import { issuesOf, reportError } from '../errorReport.js';
import { codeOf } from '../errors.js';
import { colorEnabled } from '../format/color.js';
import { CLI_VERSION } from '../version.js';

/** What a command knows about its output stream beyond `write`. */
interface TtyInfo {
  readonly isTTY?: boolean;
}

/**
 * Base of every Kepler command: the global `-v/--verbose` option, output helpers, the daemon
 * connection, and the one place errors become messages and exit codes (`catch`). Subclasses implement
 * `execute()` and return the exit code; they throw for failures and never print stacks themselves.
 */
export abstract class BaseCommand extends Command {
  verbose = Option.Boolean('-v,--verbose', false, { description: 'Print more detail (stacks on errors)' });

  abstract override execute(): Promise<number>;

  /** Exit code chosen by `catch` for the error being reported. */
  private errorExitCode = 1;

  /** Runs the command; any error goes through `catch`, so the exit code is always ours. */
  override async validateAndExecute(): Promise<number> {
    try {
      return await super.validateAndExecute();
    } catch (error) {
      await this.catch(error);
      return this.errorExitCode;
    }
  }

  /**
   * The one place errors become output: prints `error` as `reportError` decides (one line for user
   * mistakes and daemon refusals, every issue for an invalid config, a stack for bugs) and records the
   * exit code (1, or 2 when the daemon is unreachable).
   */
  override async catch(error: unknown): Promise<void> {
    const cwd = process.cwd();
    const lib = issuesOf(error).length > 0 ? await loadConfigLib() : null;
    const format = (issue: ConfigIssue) =>
      lib ? lib.formatIssue(issue, cwd) : `${issue.file} ${issue.path}: ${issue.message}`;
    const report = reportError(error, format, this.verbose, this.context.env);
    this.context.stderr.write(report.text);
    this.errorExitCode = report.exitCode;
  }

  /** Writes to stdout. */
  protected out(text: string | Uint8Array): void {
    this.context.stdout.write(text);
  }

  /** Writes to stderr. */
  protected err(text: string): void {
    this.context.stderr.write(text);
  }

  /** Writes a debug line to stderr with `--verbose`. */
  debug(text: string): void {
    if (this.verbose) this.context.stderr.write(`[debug] ${text}\n`);
  }

  /** Prints `value` as indented JSON with a trailing newline. */
  protected printJson(value: unknown): void {
    this.out(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Whether stdout is a terminal. */
  protected get stdoutIsTTY(): boolean {
    return (this.context.stdout as TtyInfo).isTTY === true;
  }

  /** Whether to colour stdout (TTY, NO_COLOR, FORCE_COLOR). */
  protected get color(): boolean {
    return colorEnabled(this.context.stdout as TtyInfo, this.context.env);
  }

  /**
   * Whether this command needs a daemon enough to start one when none runs (see `connect`): commands
   * that start services or show them do (`start`, `up`, `restart`, `recreate`, `ps`, `logs`); those
   * that only stop or remove things, and `daemon status`/`daemon stop`, do not.
   */
  protected readonly startsDaemon: boolean = false;

  /** `location`, worked out once: the rule reads /etc/group and the passwd entry. */
  private knownLocation: DaemonLocation | undefined;

  /** Which daemon this CLI uses, and why: THE rule (`daemonLocation` in @kepler/protocol). */
  get location(): DaemonLocation {
    this.knownLocation ??= daemonLocation(this.context.env);
    return this.knownLocation;
  }

  /** The daemon's state directory (the rule's choice: `$KEPLER_DAEMON_PATH`, /var/lib/kepler, or your own). */
  get stateDir(): string {
    return this.location.stateDir;
  }

  /**
   * Connects to the daemon (hello included); throws DAEMON_NOT_RUNNING / PERMISSION_DENIED /
   * PROTOCOL_MISMATCH. When none runs and this command `startsDaemon`, starts one first where the rule
   * allows it (`mayAutoStart`: your own daemon always, another only as root, never with
   * KEPLER_NO_AUTOSTART=1), printing `Started the Kepler daemon (pid N)` to stderr.
   */
  protected async connect(): Promise<DaemonClient> {
    const location = this.location;
    const path = socketPath(location.stateDir);
    this.debug(`connecting to ${path} (${location.kind} daemon: ${location.reason})`);
    const connect = () => DaemonClient.connect(path, { client: `kepler-cli/${CLI_VERSION}` });
    try {
      return await connect();
    } catch (error) {
      const uid = process.getuid?.() ?? 0;
      if (codeOf(error) !== 'DAEMON_NOT_RUNNING' || !this.startsDaemon) throw error;
      if (!mayAutoStart(location, this.context.env, uid)) throw error;
    }
    await autoStartDaemon({ location, env: this.context.env, stderr: this.context.stderr });
    return connect();
  }

  /** Runs `fn` with a connection and closes it afterwards, whatever happens. */
  protected async withClient<T>(fn: (client: DaemonClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await fn(client);
    } finally {
      client.close();
    }
  }
}

/**
 * Base of commands that act on one config: adds `-f/--file` and builds the `ConfigRef` sent to the
 * daemon (canonical path plus the CLI's environment, which the daemon uses when it bakes). `-f` may be
 * given several times: the first file is the config (its identity, its state directory), the others
 * are overlays merged over it in order.
 */
export abstract class ConfigCommand extends BaseCommand {
  files = Option.Array('-f,--file', {
    description:
      'Config file (default: kepler.yaml, then kepler.yml, in the current directory); repeat to merge overlays over it',
  });

  /** The canonical path of the config (the first `-f`); throws CONFIG_NOT_FOUND. */
  protected async configPath(): Promise<string> {
    return resolveConfigPath(this.files?.[0], process.cwd());
  }

  /** The canonical paths of the overlays (the later `-f`), in order; throws CONFIG_NOT_FOUND. */
  protected async overlayPaths(): Promise<string[]> {
    return (this.files ?? []).slice(1).map((file) => resolveConfigPath(file, process.cwd()));
  }

  /**
   * The services the command names, for commands that reach `kepler run`'s services too (stop,
   * restart, start, logs): see `configRef`. None by default: the others always need a config file.
   */
  protected adhocNames(): readonly string[] {
    return [];
  }

  /**
   * After the error: when a config file found in the directory did not have a named service that is
   * one of the caller's `kepler run` services, says how to reach that one (the file wins: see
   * `configRef`), since "no such service" alone reads as if the service were gone.
   */
  override async catch(error: unknown): Promise<void> {
    await super.catch(error);
    if (codeOf(error) !== 'UNKNOWN_SERVICE' || this.files !== undefined) return;
    const adhoc = adhocServiceNames(this.stateDir);
    const shadowed = this.adhocNames().filter((name) => adhoc.includes(name));
    if (shadowed.length === 0) return;
    const path = adhocRef(this.stateDir).path;
    this.err(
      `${shadowed.join(', ')}: one of your \`kepler run\` services, which the config file here hides: ` +
        `run the command from a directory without kepler.yaml, or add -f ${path}\n`,
    );
  }

  /**
   * The config reference every config request carries. The rule for `kepler run`'s services: a
   * command that names services, given no `-f` in a directory with no kepler.yaml/kepler.yml, acts on
   * the caller's ad-hoc config. A config file found always wins, even when an ad-hoc service has the
   * same name.
   */
  protected async configRef(): Promise<ConfigRef> {
    const overlays = await this.overlayPaths();
    let path: string;
    try {
      path = await this.configPath();
    } catch (error) {
      const adhoc = this.files === undefined && this.adhocNames().length > 0;
      if (adhoc && codeOf(error) === 'CONFIG_NOT_FOUND') return adhocRef(this.stateDir);
      throw error;
    }
    return { path, env: captureEnv(this.context.env), ...(overlays.length > 0 ? { overlays } : {}) };
  }
}

/** The defined entries of an environment (a ConfigRef's `env` has no undefined values). */
export function captureEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
