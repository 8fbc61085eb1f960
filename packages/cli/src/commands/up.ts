import type { UpPlan, UpResult } from '@kepler/protocol';
import { Command, Option } from 'clipanion';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import { planLines } from '../format/upPlan.js';
import { StartModeCommand, type StartVerbs, validateStartFlags } from './StartModeCommand.js';

/** `kepler up [SERVICE...] [-d [--wait [--timeout DUR]]] [--dry-run] [--json]`. */
export class UpCommand extends StartModeCommand {
  static override paths = [['up']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'Apply edits of the config: restart only what changed, then start',
    details: `
      Bakes the config file afresh (in the daemon, with this shell's environment, like the first
      \`start\`), compares it with the running snapshot service by service and prints the plan: one line
      per service, \`unchanged\`, \`recreate\` (with what changed: command, working_dir, environment keys
      added/changed/removed, env_file contents, user/group, limits, healthcheck, hooks, depends_on,
      restart, logs, stop signal and grace), \`restart\` (a \`restart: true\` dependent of a recreated
      service), \`create\` or \`remove\`; then one line per change under \`kepler:\` naming the services it
      affects.

      It then applies the plan in dependency order: changed services that run are stopped and started
      again with their hooks; unchanged services keep running with the same process; removed ones are
      stopped (their logs stay until \`kepler prune\`); new ones start. The new snapshot replaces the old
      whole, so a changed service that runs is recreated even when other services are named; naming
      services chooses what is started, as with \`start\`. With nothing changed, \`up\` is \`start\`.

      A file that does not bake changes nothing: its errors are printed and the exit code is 1.
      \`--dry-run\` prints the plan and changes nothing. The modes are those of \`start\`: foreground by
      default, \`-d\`, \`-d --wait [--timeout DUR]\`. \`--json\` (with \`--dry-run\` or \`-d\`) prints the
      plan and what was started as JSON.
    `,
    examples: [
      ['See what an edit would restart', '$0 up --dry-run'],
      ['Apply it in the background', '$0 up -d'],
      ['Apply it and wait until ready, for CI', '$0 up -d --wait --timeout 2m'],
    ],
  });

  dryRun = Option.Boolean('--dry-run', false, { description: 'Print the plan; change nothing' });
  json = Option.Boolean('--json', false, { description: 'Print the plan (and what started) as JSON' });

  protected readonly requestType = 'up';
  protected readonly verbs: StartVerbs = { progressive: 'Starting', nothing: 'No services to start' };

  protected override extraRequest(): Record<string, unknown> {
    return this.dryRun ? { dryRun: true } : {};
  }

  protected override onPlan(plan: UpPlan): void {
    if (this.json) return;
    for (const line of planLines(plan)) this.out(`${line}\n`);
  }

  override async execute(): Promise<number> {
    if (!this.dryRun && !this.json) return super.execute();
    const flags = await validateStartFlags({ detach: this.detach, wait: this.wait, timeout: this.timeout });
    if (this.json && !this.dryRun && flags.mode === 'follow')
      throw new UsageError('--json requires -d or --dry-run (the foreground mode prints logs)');
    const config = await this.configRef();
    const mode = this.dryRun ? 'detach' : flags.mode;
    const result: UpResult = await this.withClient(
      (client) =>
        client.stream(
          { ...this.request(config, mode, this.dryRun ? undefined : flags.timeoutMs), type: 'up' },
          () => {},
        ).result,
    );
    if (!this.json) {
      this.onPlan(result.plan);
      return EXIT_OK;
    }
    this.printJson({
      dry_run: result.dryRun,
      services: result.plan.services,
      kepler: result.plan.kepler,
      started: result.started,
      already_running: result.alreadyRunning,
      ...(result.failure
        ? { failure: { service: result.failure.service, reason: result.failure.reason } }
        : {}),
    });
    return result.failure ? EXIT_FAILURE : EXIT_OK;
  }
}
