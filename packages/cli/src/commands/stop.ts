// The light entry point: a signal name needs no YAML parser or Lua.
import { parseSignal } from '@kepler/config/grammar';
import { Command, Option } from 'clipanion';
import { EXIT_OK, UsageError } from '../errors.js';
import { ConfigCommand } from './BaseCommand.js';

/** Canonical signal name of a `--signal` value (`TERM`, `SIGKILL`, `9`); throws UsageError naming the flag. */
export async function validateSignal(value: string): Promise<string> {
  try {
    return parseSignal(value).name;
  } catch (error) {
    const detail = error instanceof Error ? error.message : `"${value}" is not a signal`;
    throw new UsageError(`--signal: ${detail}`);
  }
}

/** `kepler stop [SERVICE...] [-s SIGNAL] [--clean]`. */
export class StopCommand extends ConfigCommand {
  static override paths = [['stop']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'Stop services',
    details: `
      Stops the config's services (or the named ones): dependents before their dependencies, each with
      its \`stop_signal\` (default SIGTERM) sent to its whole process group, then SIGKILL after its
      \`stop_grace_period\` (default 10s). \`--signal\` overrides the first signal for this stop.

      \`--clean\` also runs the pre_cleanup hook and removes the config's state directory (logs and
      snapshot included).
    `,
    examples: [
      ['Stop every service of the config', '$0 stop'],
      ['Stop one service with SIGKILL', '$0 stop -s SIGKILL web'],
      ['Stop everything and remove the state', '$0 stop --clean'],
    ],
  });

  services = Option.Rest({ name: 'service' });

  protected override adhocNames(): readonly string[] {
    return this.services;
  }

  signal = Option.String('-s,--signal', {
    description:
      "Signal sent first (name like SIGINT or TERM, or number); default: each service's stop_signal",
  });

  clean = Option.Boolean('--clean', false, { description: 'Run cleanup hooks and remove the config state' });

  override async execute(): Promise<number> {
    const signal = this.signal === undefined ? undefined : await validateSignal(this.signal);
    // The state directory is the whole config's: stopping some services cannot remove it.
    if (this.clean && this.services.length > 0) {
      throw new UsageError(
        `--clean: removes the whole config's state; give no service names (got ${this.services.join(', ')})`,
      );
    }
    const config = await this.configRef();
    const result = await this.withClient((client) =>
      client.request({
        type: 'stop',
        config,
        services: this.services,
        ...(signal === undefined ? {} : { signal }),
        ...(this.clean ? { clean: true } : {}),
      }),
    );
    for (const name of result.stopped) this.out(`Stopped ${name}\n`);
    if (result.stopped.length === 0) this.out('No services were running\n');
    if (result.cleaned) this.out(`Removed the state of ${config.path}\n`);
    return EXIT_OK;
  }
}
