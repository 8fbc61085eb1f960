/**
 * `kepler export systemd`: a baked config -> one `.service` unit per service, an EnvironmentFile
 * beside each (mode 0600), and one `.target` that wants them all. Pure: the same snapshot, directory
 * and systemd version give the same bytes.
 */
import { join } from 'node:path';
import type { BakedConfig } from '@kepler/config';
import type { ExecutableLookup, ExportFile, ExportWarning } from '../exportTypes.js';
import { absoluteArgv } from '../resolveExecutable.js';
import { commentLines, envFileLine, escapeSpecifiers } from './systemdSyntax.js';
import type { RowItem, UnitContext, UnitSection } from './unitItems.js';
import { SYSTEMD_ROWS } from './unitRows.js';

export interface SystemdExportOptions {
  /** The services to export, in order (already checked to exist). */
  readonly services: readonly string[];
  /** Prefix of every file name: `<name>.target`, `<name>-<service>.service`. */
  readonly name: string;
  /** Absolute directory the files will be written to (EnvironmentFile= names it). */
  readonly dir: string;
  readonly systemdVersion: number;
  readonly lookup: ExecutableLookup;
}

export interface SystemdExport {
  readonly files: readonly ExportFile[];
  readonly warnings: readonly ExportWarning[];
}

const SECTIONS: readonly UnitSection[] = ['Unit', 'Service'];

/**
 * The services written as Type=oneshot: those of `type: oneshot`, and those of no type that another waits
 * for to complete (systemd orders after a oneshot's exit), unless they restart `always`, which systemd
 * refuses on a oneshot.
 */
function oneshots(baked: BakedConfig): Set<string> {
  const out = new Set<string>();
  for (const service of Object.values(baked.services)) {
    if (service.type === 'oneshot') out.add(service.name);
    for (const [dep, edge] of Object.entries(service.dependsOn)) {
      const target = baked.services[dep];
      const untyped = target !== undefined && target.type === undefined && target.restart.policy !== 'always';
      if (edge.condition === 'service_completed_successfully' && untyped) out.add(dep);
    }
  }
  return out;
}

function header(file: string, baked: BakedConfig, notes: readonly ExportWarning[]): string[] {
  const lines = commentLines(`${file}: written by \`kepler export systemd\` from ${baked.sourcePath}`);
  if (notes.length > 0) {
    lines.push('# Not exported, or only in part (systemd has no equivalent):');
    for (const note of notes) lines.push(...commentLines(`  ${note.key}: ${note.message}`));
  }
  return lines;
}

function renderUnit(
  file: string,
  baked: BakedConfig,
  items: readonly RowItem[],
  notes: ExportWarning[],
): string {
  const lines = header(file, baked, notes);
  for (const section of SECTIONS) {
    lines.push('', `[${section}]`);
    for (const item of items) {
      if (item.kind === 'set' && item.section === section) lines.push(`${item.key}=${item.value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The EnvironmentFile: the rows' `env` items (already checked), names in order. */
function renderEnvFile(file: string, items: readonly RowItem[]): string {
  const lines = commentLines(
    `${file}: the complete environment of the service, written by \`kepler export systemd\``,
  );
  const vars = items.flatMap((item) => (item.kind === 'env' ? [item] : []));
  vars.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const v of vars) lines.push(envFileLine(v.name, v.value));
  return `${lines.join('\n')}\n`;
}

/** The files of the export and every setting that did not make it (each also a comment in its unit). */
export function exportSystemd(baked: BakedConfig, options: SystemdExportOptions): SystemdExport {
  const unitOf = (service: string) => `${options.name}-${service}.service`;
  const targetName = `${options.name}.target`;
  const oneshot = oneshots(baked);
  const exported = new Set(options.services);
  const files: ExportFile[] = [];
  const warnings: ExportWarning[] = [];

  // Global hooks have no unit of their own: they are listed on the target.
  const globalNotes: ExportWarning[] = Object.keys(baked.kepler.hooks).map((hook) => ({
    service: 'kepler',
    key: `kepler.hooks.${hook}`,
    message: 'config-wide hooks have no systemd equivalent: not exported',
  }));
  warnings.push(...globalNotes);
  const target = [
    ...header(targetName, baked, globalNotes),
    '',
    '[Unit]',
    `Description=${escapeSpecifiers(`Kepler config ${baked.sourcePath}`)}`,
    ...options.services.map((service) => `Wants=${unitOf(service)}`),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ];
  files.push({ name: targetName, content: `${target.join('\n')}\n`, mode: 0o644 });

  for (const name of options.services) {
    const service = baked.services[name];
    if (service === undefined) continue;
    const file = unitOf(name);
    const envFile = `${options.name}-${name}.env`;
    const ctx: UnitContext = {
      baked,
      service,
      systemdVersion: options.systemdVersion,
      unitOf,
      targetName,
      envFilePath: join(options.dir, envFile),
      isOneshot: (s) => oneshot.has(s),
      exported,
      absolute: (argv, cwd, env) => absoluteArgv(argv, cwd, env, options.lookup),
    };
    const items = SYSTEMD_ROWS.flatMap((row) => row.map(ctx));
    const notes: ExportWarning[] = [];
    for (const item of items) {
      if (item.kind === 'warn') notes.push({ service: name, key: item.key, message: item.message });
    }
    warnings.push(...notes);
    files.push({ name: file, content: renderUnit(file, baked, items, notes), mode: 0o644 });
    files.push({ name: envFile, content: renderEnvFile(envFile, items), mode: 0o600 });
  }
  return { files, warnings };
}
