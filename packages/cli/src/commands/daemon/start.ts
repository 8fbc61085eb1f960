import { socketPath } from '@kepler/protocol';
import { Command, Option } from 'clipanion';
import {
  locateDaemon,
  probeDaemon,
  requireRoot,
  runDaemonForeground,
  startDaemonDetached,
} from '../../daemonProcess/index.js';
import { CliError, EXIT_OK, UsageError } from '../../errors.js';
import { BaseCommand } from '../BaseCommand.js';

/** `kepler daemon start [-d]`: run the daemon in the foreground, or detached. */
export class DaemonStartCommand extends BaseCommand {
  static override paths = [['daemon', 'start']];

  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Start the Kepler daemon (root for the system daemon)',
    details: `
      Without \`-d\`, the daemon runs in the foreground and logs to stderr until it receives SIGINT or
      SIGTERM; this is what a systemd unit with \`Type=simple\` runs.

      Which daemon is the rule \`kepler daemon status\` shows: \`$KEPLER_DAEMON_PATH\` if set; else root
      and members of the \`kepler\` group use the system daemon (/var/lib/kepler, started as root);
      everyone else their own (\`$XDG_STATE_HOME/kepler\`, else ~/.local/state/kepler), which runs as
      them and needs no root. Commands that need a daemon start it themselves when allowed (see
      KEPLER_NO_AUTOSTART in the README).

      With \`-d\`, the daemon is started in its own session with its output appended to
      \`daemon.log\` in the state directory, and the command returns once the daemon answers on its
      socket, printing its pid. If the daemon exits or does not answer within 10 seconds, the command
      prints the reason and the log's last lines and exits with 1. If a daemon already answers, it says
      so and exits with 0.

      The daemon's reverse proxy (services with a \`hostname\`) listens on 127.0.0.1:7380 unless
      \`--proxy ADDR\` (or \`$KEPLER_PROXY_ADDR\`, for a systemd unit) says otherwise; it listens only
      while a loaded config declares a hostname.

      The daemon binary is \`$KEPLER_DAEMON_BIN\` when set, else the workspace's packages/daemon build,
      else \`kepler-daemon\` on PATH.

      \`--http ADDR\` also serves the HTTP API and the dashboard on ADDR (\`HOST:PORT\`, \`[IPV6]:PORT\`,
      or \`PORT\` for 127.0.0.1; \`$KEPLER_HTTP\` does the same for a systemd unit). A non-loopback
      address is refused unless \`--http-public\` is given (\`$KEPLER_HTTP_PUBLIC=1\`). Requests need the
      bearer token in \`http.token\` in the state directory; \`kepler dashboard\` opens the dashboard.
    `,
    examples: [
      ['Start the daemon in the background', 'sudo $0 daemon start -d'],
      ['Run the daemon in the foreground (systemd, debugging)', 'sudo $0 daemon start'],
      ['Use another state directory', 'sudo KEPLER_DAEMON_PATH=/tmp/kepler $0 daemon start -d'],
      ['Serve hostnames on port 80 of every interface', 'sudo $0 daemon start -d --proxy 0.0.0.0:80'],
      ['Start your own daemon (not root, not in the kepler group)', '$0 daemon start -d'],
      ['Also serve the HTTP API and dashboard on port 7070', 'sudo $0 daemon start -d --http 127.0.0.1:7070'],
    ],
  });

  detach = Option.Boolean('-d,--detach', false, {
    description: 'Run in the background and return once it answers',
  });

  proxy = Option.String('--proxy', {
    description: "Address of the daemon's reverse proxy (HOST:PORT; default 127.0.0.1:7380)",
  });

  http = Option.String('--http', {
    description: 'Also serve the HTTP API and dashboard on ADDR (HOST:PORT, or PORT for 127.0.0.1)',
  });

  httpPublic = Option.Boolean('--http-public', false, {
    description: 'Allow --http on a non-loopback address',
  });

  override async execute(): Promise<number> {
    return startDaemon(this, this.detach, [...httpDaemonArgs(this), ...proxyDaemonArgs(this)]);
  }
}

/** The daemon's arguments for `--http ADDR [--http-public]` (none without `--http`). */
export function httpDaemonArgs(options: { http?: string; httpPublic: boolean }): string[] {
  if (options.http === undefined) {
    if (options.httpPublic) throw new UsageError('--http-public needs --http ADDR');
    return [];
  }
  return ['--http', options.http, ...(options.httpPublic ? ['--http-public'] : [])];
}

/** The daemon's arguments for `--proxy ADDR` (none without it). */
export function proxyDaemonArgs(options: { proxy?: string }): string[] {
  return options.proxy === undefined ? [] : ['--proxy', options.proxy];
}

/** Starts the daemon as `daemon start [-d]` does; resolves with the exit code. */
export async function startDaemon(
  command: BaseCommand,
  detach: boolean,
  daemonArgs: readonly string[] = [],
): Promise<number> {
  // Your own daemon runs as you; the system one (and a KEPLER_DAEMON_PATH one) as root.
  if (command.location.kind !== 'user') {
    requireRoot(detach ? 'sudo kepler daemon start -d' : 'sudo kepler daemon start');
  }
  const stateDir = command.stateDir;
  const socket = socketPath(stateDir);
  const already = await probeDaemon(socket).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'PROTOCOL_MISMATCH') {
      throw new CliError(
        'DAEMON_START_FAILED',
        `A Kepler daemon of another version is running on ${socket}: stop it first (sudo kepler daemon stop)`,
      );
    }
    throw error;
  });
  if (already !== null) {
    if (!detach) {
      throw new CliError('DAEMON_START_FAILED', `Kepler daemon is already running (pid ${already.pid})`);
    }
    command.context.stdout.write(`Kepler daemon is already running (pid ${already.pid})\n`);
    // The running daemon keeps the addresses it was started with: say so rather than seem to apply them.
    const flags = daemonArgs.filter((a) => a.startsWith('--'));
    if (flags.length > 0) {
      command.context.stderr.write(
        `warning: ${flags.join(', ')}: not applied; the running daemon keeps its settings (\`kepler daemon restart ${daemonArgs.join(' ')}\` applies them)\n`,
      );
    }
    return EXIT_OK;
  }
  const daemon = locateDaemon(command.context.env);
  command.debug(`daemon: ${[daemon.command, ...daemon.args].join(' ')} (from ${daemon.origin})`);
  if (daemonArgs.includes('--http-public')) {
    command.context.stderr.write(
      'warning: --http-public: the HTTP API may be reachable from other machines; anyone who reaches it can try the token\n',
    );
  }
  if (!detach) return runDaemonForeground(daemon, daemonArgs);
  const running = await startDaemonDetached({ daemon, stateDir, socket, args: daemonArgs });
  command.context.stdout.write(`Kepler daemon started (pid ${running.pid})\n`);
  return EXIT_OK;
}
