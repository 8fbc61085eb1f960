import { Command, Option } from 'clipanion';
import { EXIT_OK, UsageError } from '../errors.js';
import { inspectToJson, renderInspect } from '../format/inspect.js';
import { LogPrinter } from '../format/LogPrinter.js';
import { ConfigCommand } from './BaseCommand.js';

/** `kepler inspect SERVICE [--json] [-n,--lines N]`. */
export class InspectCommand extends ConfigCommand {
  static override paths = [['inspect']];

  static override usage = Command.Usage({
    category: 'Services',
    description: "Show one service's settings, last exit, why it restarted or failed, and its last lines",
    details: `
      The post-mortem of one service: its baked settings (named and valued as in the config file, as
      \`kepler config\` prints them, with the environment whole), its status and
      since when, its last exit (code or signal, and when), why it last restarted or failed (\`crash\`,
      \`exit\`, \`watch\`, \`dependency\`, \`hook\`, \`health\`, \`user\`, \`spawn\`) and when, its restart
      count and the backoff of a pending automatic restart, its last health check results with their
      output, each dependency edge with its verdict now, and its last log lines (20, or \`--lines\`).

      The last exit and cause survive a daemon restart (state.json); health results are kept in
      memory. A config the daemon has not loaded is an error (nothing of it ran). Without \`-f\`, in a
      directory with no config file, SERVICE is one of your \`kepler run\` services.

      \`--json\` prints one object: \`service\` (the \`ps --json\` object), \`settings\`, \`status_since\`,
      \`last_exit\`, \`last_cause\`, \`backoff\`, \`health\`, \`dependencies\` and \`logs\` (as
      \`logs --json\` prints lines).
    `,
    examples: [
      ['Why did web fail?', '$0 inspect web'],
      ['The same as JSON, with 100 lines', '$0 inspect web --json -n 100'],
    ],
  });

  service = Option.String({ name: 'service' });

  /** `kepler run`'s services are reached by name too (see ConfigCommand.configRef). */
  protected override adhocNames(): readonly string[] {
    return [this.service];
  }
  json = Option.Boolean('--json', false, { description: 'Print JSON' });
  lines = Option.String('-n,--lines', { description: 'How many of the last log lines to show (default 20)' });

  override async execute(): Promise<number> {
    const lines = this.lineCount();
    const config = await this.configRef();
    const result = await this.withClient((client) =>
      client.request({
        type: 'inspect',
        config,
        service: this.service,
        ...(lines === undefined ? {} : { lines }),
      }),
    );
    if (this.json) {
      this.printJson(inspectToJson(result));
      return EXIT_OK;
    }
    this.out(renderInspect(result, Date.now(), this.color));
    const printer = new LogPrinter(this.context.stdout, {
      mode: 'text',
      timestamps: undefined,
      color: this.color,
    });
    printer.lines(result.logs);
    return EXIT_OK;
  }

  /** `--lines` as a whole number; a UsageError for anything else. */
  private lineCount(): number | undefined {
    const value = this.lines;
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
      throw new UsageError(`--lines: "${value}" is not a number of lines`);
    }
    return n;
  }
}
