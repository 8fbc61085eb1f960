import { Command } from 'clipanion';
import { PsCommand } from './ps.js';

/**
 * `kepler status [SERVICE...] [-a,--all] [--json]`: `ps` under comproc's name, with the same flags and
 * output (`kepler daemon status` is the daemon's own status).
 */
export class StatusCommand extends PsCommand {
  static override paths = [['status']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'List services and their states (the same as ps)',
    details: `
      Another name for \`kepler ps\`: the same flags (\`--all\`/\`-a\`, \`--json\`, service names) and the
      same output. For the daemon itself, see \`kepler daemon status\`.
    `,
    examples: [
      ['Show the services of ./kepler.yaml', '$0 status'],
      ['Show every loaded config', '$0 status -a'],
    ],
  });
}
