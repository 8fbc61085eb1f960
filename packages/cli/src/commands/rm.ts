import { Command, Option } from 'clipanion';
import { adhocRef, adhocServiceNames, callerIds } from '../adhoc/adhocRef.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { BaseCommand } from './BaseCommand.js';

/** `kepler rm NAME...`: stops `kepler run`'s services and removes them from the caller's ad-hoc config. */
export class RmCommand extends BaseCommand {
  static override paths = [['rm']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'Stop and remove services started with kepler run',
    details: `
      Stops the named services of your ad-hoc config (those \`kepler run\` added) and removes them
      from it: they leave \`kepler ps\`, and a later \`kepler run\` may reuse their names. Services of
      config files are not affected (edit the file and \`kepler up\`). Removing the last one also
      removes the ad-hoc config's logs.

      \`--list\` prints the names rm takes, one per line (shell completion uses it): the services of
      your ad-hoc config as the daemon has it loaded, else as its file lists them.
    `,
    examples: [
      ['Remove a service started with kepler run', '$0 rm nap'],
      ['List the services kepler rm can remove', '$0 rm --list'],
    ],
  });

  services = Option.Rest({ name: 'service' });

  list = Option.Boolean('--list', false, {
    description: 'Print the names of your kepler run services, one per line',
  });

  override async execute(): Promise<number> {
    if (this.list) {
      if (this.services.length > 0) throw new UsageError('--list: takes no service names');
      this.out((await this.runServiceNames()).map((name) => `${name}\n`).join(''));
      return EXIT_OK;
    }
    if (this.services.length === 0) throw new UsageError('missing service: kepler rm SERVICE...');
    const result = await this.withClient((client) =>
      client.request({ type: 'adhocRemove', caller: callerIds(), services: this.services }),
    );
    for (const name of result.stopped) this.out(`Stopped ${name}\n`);
    for (const name of result.removed) this.out(`Removed ${name}\n`);
    return EXIT_OK;
  }

  /**
   * The caller's `kepler run` services: the daemon's loaded ad-hoc config, else (no daemon, nothing
   * loaded) the names its file lists. Never starts a daemon.
   */
  private async runServiceNames(): Promise<string[]> {
    try {
      const result = await this.withClient((client) =>
        client.request({ type: 'ps', config: adhocRef(this.stateDir) }),
      );
      if (result.loaded !== false) return result.services.map((s) => s.name);
    } catch {
      // No daemon, or it turned the request away: the file is what it would load.
    }
    return adhocServiceNames(this.stateDir);
  }
}
