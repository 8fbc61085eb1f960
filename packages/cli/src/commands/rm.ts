import { Command, Option } from 'clipanion';
import { callerIds } from '../adhoc/adhocRef.js';
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
    `,
    examples: [['Remove a service started with kepler run', '$0 rm nap']],
  });

  services = Option.Rest({ name: 'service' });

  override async execute(): Promise<number> {
    if (this.services.length === 0) throw new UsageError('missing service: kepler rm SERVICE...');
    const result = await this.withClient((client) =>
      client.request({ type: 'adhocRemove', caller: callerIds(), services: this.services }),
    );
    for (const name of result.stopped) this.out(`Stopped ${name}\n`);
    for (const name of result.removed) this.out(`Removed ${name}\n`);
    return EXIT_OK;
  }
}
