import { socketPath } from '@kepler/protocol';
import { Command, Option } from 'clipanion';
import {
  locateDaemon,
  probeDaemon,
  requireRoot,
  runDaemonForeground,
  startDaemonDetached,
} from '../../daemonProcess/index.js';
import { CliError, EXIT_OK } from '../../errors.js';
import { BaseCommand } from '../BaseCommand.js';

/** `kepler daemon start [-d]`: run the daemon in the foreground, or detached. */
export class DaemonStartCommand extends BaseCommand {
  static override paths = [['daemon', 'start']];

  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Start the Kepler daemon (requires root)',
    details: `
      Without \`-d\`, the daemon runs in the foreground and logs to stderr until it receives SIGINT or
      SIGTERM; this is what a systemd unit with \`Type=simple\` runs.

      With \`-d\`, the daemon is started in its own session with its output appended to
      \`daemon.log\` in the state directory (\`$KEPLER_DAEMON_PATH\`, default /var/lib/kepler), and the
      command returns once the daemon answers on its socket, printing its pid. If the daemon exits or
      does not answer within 10 seconds, the command prints the reason and the log's last lines and exits
      with 1. If a daemon already answers, it says so and exits with 0.

      The daemon's reverse proxy (services with a \`hostname\`) listens on 127.0.0.1:7380 unless
      \`--proxy ADDR\` (or \`$KEPLER_PROXY_ADDR\`, for a systemd unit) says otherwise; it listens only
      while a loaded config declares a hostname.

      The daemon binary is \`$KEPLER_DAEMON_BIN\` when set, else the workspace's packages/daemon build,
      else \`kepler-daemon\` on PATH.
    `,
    examples: [
      ['Start the daemon in the background', 'sudo $0 daemon start -d'],
      ['Run the daemon in the foreground (systemd, debugging)', 'sudo $0 daemon start'],
      ['Use another state directory', 'sudo KEPLER_DAEMON_PATH=/tmp/kepler $0 daemon start -d'],
      ['Serve hostnames on port 80 of every interface', 'sudo $0 daemon start -d --proxy 0.0.0.0:80'],
    ],
  });

  detach = Option.Boolean('-d,--detach', false, {
    description: 'Run in the background and return once it answers',
  });

  proxy = Option.String('--proxy', {
    description: "Address of the daemon's reverse proxy (HOST:PORT; default 127.0.0.1:7380)",
  });

  override async execute(): Promise<number> {
    return startDaemon(this, this.detach, this.proxy);
  }
}

/** Starts the daemon as `daemon start [-d]` does; resolves with the exit code. */
export async function startDaemon(command: BaseCommand, detach: boolean, proxy?: string): Promise<number> {
  requireRoot(detach ? 'sudo kepler daemon start -d' : 'sudo kepler daemon start');
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
    return EXIT_OK;
  }
  const located = locateDaemon(command.context.env);
  const daemon = proxy === undefined ? located : { ...located, args: [...located.args, '--proxy', proxy] };
  command.debug(`daemon: ${[daemon.command, ...daemon.args].join(' ')} (from ${daemon.origin})`);
  if (!detach) return runDaemonForeground(daemon, []);
  const running = await startDaemonDetached({ daemon, stateDir, socket });
  command.context.stdout.write(`Kepler daemon started (pid ${running.pid})\n`);
  return EXIT_OK;
}
