import { Command } from 'clipanion';
import { EXIT_OK } from '../errors.js';
import { ConfigCommand } from './BaseCommand.js';

/** `kepler recreate`: re-bake the config's snapshot. */
export class RecreateCommand extends ConfigCommand {
  /** Needs a daemon: starts one when none runs (see BaseCommand.connect). */
  protected override readonly startsDaemon = true;

  static override paths = [['recreate']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'Re-bake the config snapshot from the source file',
    details: `
      The daemon runs a config from the snapshot baked when it was first loaded; editing the YAML changes
      nothing until the snapshot is baked again. \`recreate\` re-bakes it from the source file (with the
      overlays named by later \`-f\` options, merged over it) and the current environment. Every service
      of the config must be stopped first; it starts or stops nothing.
    `,
    examples: [
      ['Apply edits of kepler.yaml', '$0 stop && $0 recreate && $0 start -d'],
      ['Re-bake another config', '$0 recreate -f ./app/kepler.yaml'],
      ['Re-bake with an overlay merged over kepler.yaml', '$0 recreate -f kepler.yaml -f kepler.prod.yaml'],
    ],
  });

  override async execute(): Promise<number> {
    const config = await this.configRef();
    const result = await this.withClient((client) => client.request({ type: 'recreate', config }));
    const n = result.services.length;
    this.out(
      `Recreated the snapshot of ${config.path} (${n} ${n === 1 ? 'service' : 'services'}, hash ${result.hash.slice(0, 12)})\n`,
    );
    return EXIT_OK;
  }
}
