import { Command } from 'clipanion';
import { StartModeCommand, type StartVerbs } from './StartModeCommand.js';

/** `kepler restart [SERVICE...] [-d [--wait [--timeout DUR]]]`. */
export class RestartCommand extends StartModeCommand {
  static override paths = [['restart']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'Restart running services',
    details: `
      Stops, then starts again, the config's running services (or the named ones), with the restart
      hooks in order: pre_restart, pre_stop, stop, post_stop, pre_start, spawn, post_start,
      post_restart. Services that are not running are left alone.

      The modes are those of \`kepler start\`: without flags it follows the logs until every service is
      terminal (first Ctrl+C stops them, the second exits with 130); \`-d\` returns at once; \`-d --wait
      [--timeout DUR]\` blocks until the restarted services are ready.
    `,
    examples: [
      ['Restart everything and follow the logs', '$0 restart'],
      ['Restart two services in the background', '$0 restart -d web worker'],
      ['Restart and wait until ready', '$0 restart -d --wait --timeout 60s'],
    ],
  });

  protected readonly requestType = 'restart';
  protected override adhocNames(): readonly string[] {
    return this.services;
  }

  protected readonly verbs: StartVerbs = {
    progressive: 'Restarting',
    nothing: 'No running services to restart (`kepler start` starts them)',
  };
}
