import { Command, Option } from 'clipanion';
import { EXIT_OK } from '../errors.js';
import { ConfigCommand } from './BaseCommand.js';

/** `kepler down [--clean]`: stop everything and forget the snapshot. */
export class DownCommand extends ConfigCommand {
  static override paths = [['down']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'Stop every service and forget the baked snapshot',
    details: `
      Stops the config's services (dependents first, with the global and service stop hooks, as
      \`kepler stop\`), then forgets the snapshot, so the next command (\`start\`, \`up\`) bakes the file
      afresh. Logs and state stay. \`--clean\` also runs the \`pre_cleanup\` hook and removes the config's
      state directory, as \`kepler stop --clean\` does. Without \`--clean\`, a config the daemon has no
      snapshot of is left alone (nothing of it runs, and it is not baked).
    `,
    examples: [
      ['Stop and re-bake on the next start', '$0 down && $0 start -d'],
      ['Stop and remove all state of the config', '$0 down --clean'],
    ],
  });

  clean = Option.Boolean('--clean', false, {
    description: 'Also run pre_cleanup and remove the state directory',
  });

  override async execute(): Promise<number> {
    const config = await this.configRef();
    const result = await this.withClient((client) =>
      client.request({ type: 'down', config, ...(this.clean ? { clean: true } : {}) }),
    );
    const n = result.stopped.length;
    if (n > 0) this.out(`Stopped ${result.stopped.join(', ')}\n`);
    if (result.cleaned) this.out(`Removed the state of ${config.path}\n`);
    else if (result.forgotten)
      this.out(`Forgot the snapshot of ${config.path}: the next start bakes it afresh\n`);
    else this.out(`${config.path} has no snapshot: nothing to do\n`);
    return EXIT_OK;
  }
}
