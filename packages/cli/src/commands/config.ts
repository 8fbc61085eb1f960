import { Command, Option } from 'clipanion';
import { loadConfigLib } from '../configLib.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { ConfigCommand, captureEnv } from './BaseCommand.js';

/** `kepler config`: bake the config locally and print it. Needs no daemon and no root. */
export class ConfigPrintCommand extends ConfigCommand {
  static override paths = [['config']];

  static override usage = Command.Usage({
    description: 'Validate a config and print it as the daemon would run it',
    details: `
      Loads the config file, evaluates its Lua, expands its variables with the current environment,
      applies every default and prints the result in the file's own words (\`working_dir\`,
      \`stop_grace_period: 10s\`, \`max_size: 50MB\`): YAML, or JSON with \`--json\`. It needs no daemon
      and no root. The output is itself a valid config; \`x-kepler\` says which file it came from.

      \`--services\` prints the service names, one per line (\`--json\`: an array); \`--hash\` prints the
      snapshot's hash.

      An invalid config prints every problem found, one per line with file:line:column and the key
      path, and exits with 1.
    `,
    examples: [
      ['Print the baked kepler.yaml of the current directory', '$0 config'],
      ['Validate another file and print JSON', '$0 config -f ./deploy/kepler.yaml --json'],
      ['List the service names', '$0 config --services'],
      ['Print the snapshot hash', '$0 config --hash'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'Print JSON instead of YAML' });
  services = Option.Boolean('--services', false, { description: 'Print only the service names' });
  hash = Option.Boolean('--hash', false, { description: 'Print only the snapshot hash' });

  override async execute(): Promise<number> {
    if (this.services && this.hash) throw new UsageError('--services and --hash: choose one');
    const { loadConfig, renderFileVocabulary } = await loadConfigLib();
    const path = await this.configPath();
    const baked = await loadConfig({ path, env: captureEnv(this.context.env) });
    if (this.services) {
      if (this.json) this.printJson(baked.serviceOrder);
      else this.out(baked.serviceOrder.map((name) => `${name}\n`).join(''));
    } else if (this.hash) {
      if (this.json) this.printJson(baked.hash);
      else this.out(`${baked.hash}\n`);
    } else {
      this.out(renderFileVocabulary(baked, this.json ? 'json' : 'yaml'));
    }
    return EXIT_OK;
  }
}
