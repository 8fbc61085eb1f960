import { homedir } from 'node:os';
import { psRowsToJson, type ServiceInfo } from '@kepler/protocol';
import { Command, Option } from 'clipanion';
import { CliError, EXIT_OK } from '../errors.js';
import { notLoadedLine } from '../format/notes.js';
import { renderPsTable } from '../format/services.js';
import { psSnapshotLines } from '../format/snapshotNotes.js';
import { ConfigCommand } from './BaseCommand.js';

/** `kepler ps [SERVICE...] [--all] [--json]`. */
export class PsCommand extends ConfigCommand {
  /** Needs a daemon: starts one when none runs (see BaseCommand.connect). */
  protected override readonly startsDaemon = true;

  static override paths = [['ps']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'List services and their states',
    details: `
      Prints a table of the config's services: NAME, STATUS (with the reason for \`failed\`, e.g.
      \`failed (exit 1)\`), PID, UPTIME, RESTARTS and HEALTH. \`--all\` lists every config the daemon
      has loaded, with a CONFIG column first. A config the daemon has not loaded is not loaded by
      \`ps\`: it says so on stderr and exits 0 (\`--json\` prints \`[]\`).

      \`--json\` prints an array of objects with \`config\`, \`name\`, \`status\`, \`pid\`, \`exit_code\`,
      \`signal\`, \`restarts\`, \`started_at\`, \`stopped_at\`, \`health\`, \`health_failures\`,
      \`last_health_output\`, \`reason\`, \`logs_not_stored\` (lines of the service's output its log
      files could not take since the daemon started, e.g. on a full disk; the table notes them too),
      \`unmet_dependencies\` (soft dependencies, \`required: false\`, whose condition does not hold
      while the service runs: \`[{service, reason}]\`; the table notes them too) and \`stale\` (a file its config's snapshot was baked from changed since: \`kepler up\` applies
      it; without --json a line on stderr says so).

      A config with a problem of its own gets a \`warning:\` line on stderr naming it: its state.json
      was corrupt when the daemon loaded it (the services it could not trust were loaded as stopped),
      or processes of an earlier run are alive that no record names (\`start\` refuses to run a second
      copy beside them; \`stop\` ends them). Overlays (a second \`-f\`) other than the snapshot
      was baked with get one too, naming them and the \`up\` that applies yours.
    `,
    examples: [
      ['Show the services of ./kepler.yaml', '$0 ps'],
      ['Show every loaded config', '$0 ps --all'],
      ['Machine-readable status of one service', '$0 ps --json web'],
    ],
  });

  services = Option.Rest({ name: 'service' });
  all = Option.Boolean('-a,--all', false, { description: 'List the services of every loaded config' });
  json = Option.Boolean('--json', false, { description: 'Print JSON' });

  override async execute(): Promise<number> {
    const config = this.all ? undefined : await this.configRef();
    const result = await this.withClient((client) =>
      client.request(config === undefined ? { type: 'ps', all: true } : { type: 'ps', config }),
    );
    if (config !== undefined && result.loaded === false) {
      // Not an error (exit 0, `[]` with --json): nothing of this config runs; ps does not load it.
      this.err(`${notLoadedLine(config.path)}\n`);
      if (this.json) this.printJson([]);
      return EXIT_OK;
    }
    const services = filterServices(result.services, this.services, config?.path);
    // On stderr in every mode: `--json` stays an array of services.
    for (const w of result.warnings ?? []) this.err(`warning: ${w.config}: ${w.message}\n`);
    for (const line of psSnapshotLines(result, config, this.files, process.cwd())) this.err(`${line}\n`);
    if (this.json) {
      this.printJson(psRowsToJson(services, result.stale));
      return EXIT_OK;
    }
    this.out(
      renderPsTable(services, {
        showConfig: this.all,
        cwd: process.cwd(),
        home: homedir(),
        nowMs: Date.now(),
        color: this.color,
      }),
    );
    return EXIT_OK;
  }
}

/**
 * Keeps the named services (all when none is named), in the daemon's order.
 * @throws CliError UNKNOWN_SERVICE for a name no service has.
 */
export function filterServices(
  services: readonly ServiceInfo[],
  names: readonly string[],
  configPath: string | undefined,
): ServiceInfo[] {
  if (names.length === 0) return [...services];
  const known = new Set(services.map((s) => s.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    const where = configPath === undefined ? 'any loaded config' : configPath;
    throw new CliError(
      'UNKNOWN_SERVICE',
      `No service named ${unknown.map((n) => `"${n}"`).join(', ')} in ${where}`,
    );
  }
  const wanted = new Set(names);
  return services.filter((s) => wanted.has(s.name));
}
