import { Command, Option } from 'clipanion';
import { requireRoot } from '../../daemonProcess/index.js';
import { codeOf } from '../../errors.js';
import { BaseCommand } from '../BaseCommand.js';
import { httpDaemonArgs, proxyDaemonArgs, startDaemon } from './start.js';
import { stopRunningDaemon } from './stop.js';

/** `kepler daemon restart [-d]`: stop the daemon if it runs, then start it. */
export class DaemonRestartCommand extends BaseCommand {
  static override paths = [['daemon', 'restart']];

  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Restart the daemon (root for the system daemon)',
    details: `
      Stops the running daemon (and with it every service), as \`kepler daemon stop\` does, then starts
      it as \`kepler daemon start [-d]\` does. A daemon that is not running is simply started. Configs
      with a snapshot are reloaded by the new daemon with each service's last known state.
    `,
    examples: [
      ['Restart the daemon in the background', 'sudo $0 daemon restart -d'],
      ['Restart it in the foreground', 'sudo $0 daemon restart'],
    ],
  });

  detach = Option.Boolean('-d,--detach', false, { description: 'Run the new daemon in the background' });

  proxy = Option.String('--proxy', {
    description: "Address of the new daemon's reverse proxy (HOST:PORT; default 127.0.0.1:7380)",
  });

  http = Option.String('--http', {
    description: 'Serve the HTTP API and dashboard on ADDR (as daemon start)',
  });

  httpPublic = Option.Boolean('--http-public', false, {
    description: 'Allow --http on a non-loopback address',
  });

  override async execute(): Promise<number> {
    if (this.location.kind !== 'user') {
      requireRoot(this.detach ? 'sudo kepler daemon restart -d' : 'sudo kepler daemon restart');
    }
    const daemonArgs = [...httpDaemonArgs(this), ...proxyDaemonArgs(this)];
    try {
      await stopRunningDaemon(this);
    } catch (error) {
      if (codeOf(error) !== 'DAEMON_NOT_RUNNING') throw error;
      this.out('Daemon was not running\n');
    }
    return startDaemon(this, this.detach, daemonArgs);
  }
}
