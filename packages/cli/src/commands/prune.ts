import { homedir } from 'node:os';
import type { PruneEntry } from '@kepler/protocol';
import { Command, Option } from 'clipanion';
import { EXIT_OK } from '../errors.js';
import { formatBytes } from '../format/duration.js';
import { shortenPath } from '../format/services.js';
import { renderTable } from '../format/table.js';
import { BaseCommand } from './BaseCommand.js';

/** `kepler prune [--force] [--dry-run] [--json]`. */
export class PruneCommand extends BaseCommand {
  static override paths = [['prune']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'Remove the state of stopped or orphaned configs',
    details: `
      Lists the state directories of configs whose services are all stopped, or whose source file no
      longer exists, removes them, and reports the space freed. \`--dry-run\` only lists what would be
      removed. \`--force\` also removes state the daemon would otherwise keep (the reason column says
      why an entry was kept).

      \`--json\` prints \`{dry_run, freed_bytes, entries: [{path, state_dir, bytes, reason, removed}]}\`.
    `,
    examples: [
      ['See what would be removed', '$0 prune --dry-run'],
      ['Remove it', '$0 prune'],
      ['Remove everything prunable, even kept entries', '$0 prune --force'],
    ],
  });

  force = Option.Boolean('--force', false, { description: 'Also remove entries that would be kept' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'Only list what would be removed' });
  json = Option.Boolean('--json', false, { description: 'Print JSON' });

  override async execute(): Promise<number> {
    const result = await this.withClient((client) =>
      client.request({
        type: 'prune',
        ...(this.force ? { force: true } : {}),
        ...(this.dryRun ? { dryRun: true } : {}),
      }),
    );
    if (this.json) {
      this.printJson({
        dry_run: result.dryRun,
        freed_bytes: result.freedBytes,
        entries: result.entries.map((e) => ({
          path: e.path,
          state_dir: e.stateDir,
          bytes: e.bytes,
          reason: e.reason,
          removed: e.removed,
        })),
      });
      return EXIT_OK;
    }
    this.out(renderPrune(result.entries, result.freedBytes, result.dryRun, process.cwd(), homedir()));
    return EXIT_OK;
  }
}

/** The human form of `prune`: a table of CONFIG, REASON, SIZE (and ACTION unless a dry run) and the total. */
export function renderPrune(
  entries: readonly PruneEntry[],
  freedBytes: number,
  dryRun: boolean,
  cwd: string,
  home: string | undefined,
): string {
  if (entries.length === 0) return 'Nothing to prune\n';
  const rows = entries.map((e) => [shortenPath(e.path, cwd, home), e.reason, formatBytes(e.bytes)]);
  // A dry run removes nothing, so an ACTION column would only say so on every row.
  const table = dryRun
    ? renderTable(['CONFIG', 'REASON', 'SIZE'], rows)
    : renderTable(
        ['CONFIG', 'REASON', 'SIZE', 'ACTION'],
        rows.map((row, i) => [...row, entries[i]?.removed ? 'removed' : 'kept']),
      );
  const total = dryRun ? `Would free ${formatBytes(freedBytes)}` : `Total freed: ${formatBytes(freedBytes)}`;
  return `${table}${total}\n`;
}
