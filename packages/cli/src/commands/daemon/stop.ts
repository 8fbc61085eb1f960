import { socketPath } from '@kepler/protocol';
import { Command } from 'clipanion';
import { stopDaemon } from '../../daemonProcess/index.js';
import { CliError, codeOf, EXIT_NO_DAEMON, EXIT_OK } from '../../errors.js';
import { BaseCommand } from '../BaseCommand.js';

/** `kepler daemon stop`: stop every service of every config, then the daemon. */
export class DaemonStopCommand extends BaseCommand {
  static override paths = [['daemon', 'stop']];

  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Stop the daemon (stops all services first)',
    details: `
      Asks the daemon to stop every service of every loaded config (each with its stop signal and grace
      period), then to exit, and waits until it has. Exits with 2 when no daemon is running. The next
      daemon starts again the services with \`restart: always\` that were running; the others stay stopped.
    `,
    examples: [['Stop the daemon and everything it runs', 'sudo $0 daemon stop']],
  });

  override async execute(): Promise<number> {
    await stopRunningDaemon(this);
    return EXIT_OK;
  }
}

/**
 * Stops the daemon, printing progress. Throws CliError DAEMON_NOT_RUNNING (exit 2) when none answers:
 * "Daemon is not running" without the start hint, which would be odd advice for a stop.
 */
export async function stopRunningDaemon(command: BaseCommand): Promise<void> {
  try {
    await stopDaemon({
      socket: socketPath(command.stateDir),
      onStopping: (pid) => command.context.stdout.write(`Stopping Kepler daemon (pid ${pid})...\n`),
    });
  } catch (error) {
    if (codeOf(error) === 'DAEMON_NOT_RUNNING') {
      throw new CliError('DAEMON_NOT_RUNNING', 'Daemon is not running', EXIT_NO_DAEMON);
    }
    throw error;
  }
  command.context.stdout.write('Kepler daemon stopped\n');
}
