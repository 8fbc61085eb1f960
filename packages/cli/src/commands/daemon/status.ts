import { homedir } from 'node:os';
import type { Containment, DaemonKind, DaemonLocation, DaemonStatus } from '@kepler/protocol';
import { Command, Option } from 'clipanion';

import { codeOf, EXIT_FAILURE, EXIT_OK } from '../../errors.js';
import { formatDuration } from '../../format/duration.js';
import { shortenPath } from '../../format/services.js';
import { renderTable } from '../../format/table.js';
import { BaseCommand } from '../BaseCommand.js';

/** `kepler daemon status [--json]`: is the daemon running, and what has it loaded. */
export class DaemonStatusCommand extends BaseCommand {
  static override paths = [['daemon', 'status']];

  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Show daemon info and loaded configs',
    details: `
      Prints the daemon's pid, uptime, version and state directory, which daemon this CLI uses and why
      (\`KEPLER_DAEMON_PATH\` if set; else root and members of the \`kepler\` group use the system
      daemon; everyone else their own), how it contains its services' processes (cgroups, or process
      groups and the marker sweep), and each loaded config with its number of services and of running
      services.

      Exits with 0 when the daemon runs and 1 when it does not (2 when its socket cannot be opened), so
      scripts can test it. When it does not run, it says which daemon it looked for; \`--json\` prints
      \`{"running": false, "daemon": {...}, "state_dir": ...}\`.
    `,
    examples: [
      ['Show the daemon status', '$0 daemon status'],
      ['Check from a script', '$0 daemon status --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'Print JSON' });

  override async execute(): Promise<number> {
    let status: DaemonStatus;
    try {
      status = await this.withClient((client) => client.request({ type: 'status' }));
    } catch (error) {
      if (codeOf(error) !== 'DAEMON_NOT_RUNNING') throw error;
      // Which daemon was looked for, so a user whose rule picked another daemon than expected sees it.
      const { kind, reason, stateDir } = this.location;
      if (this.json) this.printJson({ running: false, daemon: { kind, reason }, state_dir: stateDir });
      else {
        this.out(
          `Daemon is not running\n  daemon:     ${DAEMON_KIND_LABELS[kind]} (${reason})\n  state dir:  ${stateDir}\n`,
        );
      }
      return EXIT_FAILURE;
    }
    const location = this.location;
    if (this.json) {
      this.printJson(daemonStatusToJson(status, location));
      return EXIT_OK;
    }
    this.out(renderDaemonStatus(status, process.cwd(), homedir(), location));
    return EXIT_OK;
  }
}

/** How `daemon status` names each choice of the rule. */
const DAEMON_KIND_LABELS: Record<DaemonKind, string> = {
  env: 'KEPLER_DAEMON_PATH',
  system: 'system',
  user: 'per-user',
};

/** How `daemon status` names each containment (an older daemon does not say). */
const CONTAINMENT_LABELS: Record<Containment, string> = {
  cgroups: 'cgroups',
  'process-groups': 'process groups + marker sweep',
};

/** The `--json` object of a running daemon (snake_case keys); `location` is this CLI's rule choice. */
export function daemonStatusToJson(status: DaemonStatus, location?: DaemonLocation): Record<string, unknown> {
  return {
    running: true,
    pid: status.pid,
    version: status.version,
    protocol: status.protocol,
    started_at: status.startedAt,
    uptime_ms: status.uptimeMs,
    state_dir: status.stateDir,
    ...(location ? { daemon: { kind: location.kind, reason: location.reason } } : {}),
    ...(status.containment ? { containment: status.containment } : {}),
    configs: status.configs.map((c) => ({
      path: c.path,
      hash: c.hash,
      services: c.services,
      running: c.running,
    })),
  };
}

/** The human form of `daemon status`. */
export function renderDaemonStatus(
  status: DaemonStatus,
  cwd: string,
  home: string | undefined,
  location?: DaemonLocation,
): string {
  const head = [
    'Kepler daemon is running',
    `  pid:        ${status.pid}`,
    `  uptime:     ${formatDuration(status.uptimeMs)}`,
    `  version:    ${status.version} (protocol ${status.protocol})`,
    `  state dir:  ${status.stateDir}`,
    ...(location ? [`  daemon:     ${DAEMON_KIND_LABELS[location.kind]} (${location.reason})`] : []),
    ...(status.containment ? [`  processes:  ${CONTAINMENT_LABELS[status.containment]}`] : []),
    `  configs:    ${status.configs.length} loaded`,
  ].join('\n');
  if (status.configs.length === 0) return `${head}\n`;
  const table = renderTable(
    ['CONFIG', 'SERVICES', 'RUNNING'],
    status.configs.map((c) => [shortenPath(c.path, cwd, home), String(c.services), String(c.running)]),
  );
  return `${head}\n\n${table}`;
}
