import type { ConfigRef } from '@kepler/protocol';
import { Command, Option } from 'clipanion';
import { adhocRef, callerIds } from '../adhoc/adhocRef.js';
import { RUN_RESTART_POLICIES, runService } from '../adhoc/runFlags.js';
import { UsageError } from '../errors.js';
import { StartModeCommand, type StartVerbs, validateStartFlags } from './StartModeCommand.js';

/**
 * `kepler run [--name NAME] [--restart POLICY] [-e KEY=VALUE]... [--env-file F] [--cwd DIR] [--user U]
 * [-d [--wait]] -- COMMAND [ARGS...]`: adds a service to the caller's ad-hoc config, then starts it
 * with `start`'s modes (the service is then one like any other: ps, logs, stop, restart).
 */
export class RunCommand extends StartModeCommand {
  static override paths = [['run']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'Run a command as a service, without a config file',
    details: `
      Adds the command as a service to your ad-hoc config, which the daemon keeps in its state
      directory (one per user, \`<state dir>/adhoc/<uid>.yaml\`, root-only), and starts it. It is then a
      service like any other: \`kepler ps --all\` lists it, it survives daemon restarts, and \`stop NAME\`,
      \`restart NAME\`, \`start NAME\` and \`logs NAME\` reach it from any directory without a
      kepler.yaml (a config file found there wins). \`kepler rm NAME\` stops and removes it.

      The name is \`--name\`, else the command's basename made unique (\`sleep\`, \`sleep-2\`); a
      \`--name\` already taken is refused, naming the service that has it. The process gets this
      shell's environment, then \`--env-file\`'s variables (values as written), then each \`-e\`; it
      runs in \`--cwd\` (default: here), as you (\`--user\` another user needs root), with
      \`--restart\` (default: no). Put \`--\` before the command so its flags are not read as run's.

      Without \`-d\` the command stays in the foreground like \`kepler start\`: the service's output,
      until it ends; Ctrl+C stops it (it stays listed: \`kepler start NAME\` starts it again).
    `,
    examples: [
      ['Run a command in the background', '$0 run -d --name nap -- sleep 300'],
      [
        'Run a server that restarts when it crashes',
        '$0 run -d --restart on-failure -e PORT=8080 -- node server.js',
      ],
      ['Run in the foreground (Ctrl+C stops it)', '$0 run -- python3 -m http.server'],
    ],
  });

  /** The command and its arguments (clipanion's rest: the field start and restart use for names). */
  override services = Option.Rest({ name: 'command' });

  name = Option.String('--name', {
    description: 'Service name (default: the command basename, made unique)',
  });

  restartPolicy = Option.String('--restart', {
    description: `Restart policy: ${RUN_RESTART_POLICIES.join(', ')} (default: no)`,
  });

  env = Option.Array('-e,--env', { description: 'Set an environment variable KEY=VALUE (repeatable)' });

  envFile = Option.String('--env-file', { description: 'Read environment variables from FILE' });

  cwd = Option.String('--cwd', { description: 'Working directory (default: the current one)' });

  user = Option.String('--user', { description: 'Run as this user (another user than you needs root)' });

  protected readonly requestType = 'start';
  protected readonly verbs: StartVerbs = { progressive: 'Starting', nothing: 'Nothing to start' };

  /** The caller's ad-hoc config, once the service is added to it. */
  private added: ConfigRef | null = null;

  override async execute(): Promise<number> {
    if (this.files !== undefined) throw new UsageError('-f/--file: kepler run takes no config file');
    await validateStartFlags({ detach: this.detach, wait: this.wait, timeout: this.timeout });
    const service = runService(
      {
        name: this.name,
        restart: this.restartPolicy,
        env: this.env,
        envFile: this.envFile,
        cwd: this.cwd,
        user: this.user,
        command: this.services,
      },
      { cwd: process.cwd(), env: this.context.env },
    );
    const result = await this.withClient((client) =>
      client.request({ type: 'adhocAdd', caller: callerIds(), service }),
    );
    this.added = { ...adhocRef(this.stateDir), path: result.config };
    // From here on `start NAME`, with start's modes, on the ad-hoc config.
    this.services = [result.service];
    return super.execute();
  }

  protected override async configRef(): Promise<ConfigRef> {
    if (this.added === null) throw new Error('run: the service was not added yet');
    return this.added;
  }
}
