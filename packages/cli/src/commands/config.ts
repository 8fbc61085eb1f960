import { Command, Option } from 'clipanion';
import { loadConfigLib } from '../configLib.js';
import { EXIT_OK } from '../errors.js';
import { ConfigCommand, captureEnv } from './BaseCommand.js';

/** `kepler config`: bake the config locally and print the snapshot. Needs no daemon and no root. */
export class ConfigPrintCommand extends ConfigCommand {
  static override paths = [['config']];

  static override usage = Command.Usage({
    description: 'Validate a config and print it as the daemon would run it',
    details: `
      Loads the config file, evaluates its Lua, expands its variables with the current environment,
      applies every default and prints the baked snapshot (YAML, or JSON with \`--json\`). It needs no
      daemon and no root. With \`-f\` given several times, the later files are overlays merged over the
      first with docker compose's rules, and the result is printed.

      An invalid config prints every problem found, one per line with file:line:column and the key
      path, and exits with 1.
    `,
    examples: [
      ['Print the baked kepler.yaml of the current directory', '$0 config'],
      ['Validate another file and print JSON', '$0 config -f ./deploy/kepler.yaml --json'],
      ['Print kepler.yaml with an overlay merged over it', '$0 config -f kepler.yaml -f kepler.prod.yaml'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'Print JSON instead of YAML' });

  override async execute(): Promise<number> {
    const { loadConfig, renderBakedConfig } = await loadConfigLib();
    const path = await this.configPath();
    const overlays = await this.overlayPaths();
    const baked = await loadConfig({ path, overlays, env: captureEnv(this.context.env) });
    // The captured environment is the user's whole shell: keep it off the screen (and out of pastes).
    const text = renderBakedConfig(baked, this.json ? 'json' : 'yaml', {
      capturedEnv: false,
      hooksAsWritten: true,
    });
    this.out(text.endsWith('\n') ? text : `${text}\n`);
    return EXIT_OK;
  }
}
