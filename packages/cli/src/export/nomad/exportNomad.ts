/**
 * `kepler export nomad`: a baked config -> one Nomad job (`nomad job run -json` form) with a task
 * group per service. Pure: the same snapshot, job name and driver give the same bytes.
 */
import type { BakedConfig } from '@kepler/config';
import { STARTUP_CONDITIONS } from '@kepler/config';
import type { ExecutableLookup, ExportWarning } from '../exportTypes.js';
import { absoluteArgv } from '../resolveExecutable.js';
import type { GroupContext, GroupDraft } from './groupDraft.js';
import { NOMAD_ROWS } from './groupRows.js';
import { consulName, type NomadDriver, type NomadJobFile, type NomadTaskGroup } from './nomadJob.js';

export interface NomadExportOptions {
  /** The services to export, in order (already checked to exist). */
  readonly services: readonly string[];
  /** The job's ID and name. */
  readonly job: string;
  readonly driver: NomadDriver;
  readonly lookup: ExecutableLookup;
}

export interface NomadExport {
  readonly job: NomadJobFile;
  readonly warnings: readonly ExportWarning[];
}

/** Services that register in Consul: those with a check, and those another exported service waits for. */
function registered(baked: BakedConfig, services: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const name of services) {
    const service = baked.services[name];
    if (service === undefined) continue;
    if (service.healthcheck !== null) out.add(name);
    for (const [dep, edge] of Object.entries(service.dependsOn)) {
      if (STARTUP_CONDITIONS.has(edge.condition) && edge.condition !== 'service_completed_successfully')
        out.add(dep);
    }
  }
  return out;
}

/** The job and every setting that did not make it. */
export function exportNomad(baked: BakedConfig, options: NomadExportOptions): NomadExport {
  const warnings: ExportWarning[] = Object.keys(baked.kepler.hooks).map((hook) => ({
    service: 'kepler',
    key: `kepler.hooks.${hook}`,
    message: 'config-wide hooks have no Nomad equivalent: not exported',
  }));
  const exported = new Set(options.services);
  const inConsul = registered(baked, options.services);
  const groups: NomadTaskGroup[] = [];
  for (const name of options.services) {
    const service = baked.services[name];
    if (service === undefined) continue;
    const ctx: GroupContext = {
      baked,
      service,
      job: options.job,
      driver: options.driver,
      exported,
      consulName: (s) => consulName(options.job, s),
      isRegistered: (s) => inConsul.has(s),
      absolute: (argv, cwd, env) => absoluteArgv(argv, cwd, env, options.lookup),
    };
    const draft: GroupDraft = {
      group: { Name: name, Count: 1 },
      main: { Name: name, Driver: options.driver, Config: { command: '' } },
      lifecycle: [],
      groupEnv: {},
      warn: (key, message) => warnings.push({ service: name, key, message }),
    };
    for (const row of NOMAD_ROWS) row.apply(ctx, draft);
    const prestart = draft.lifecycle.filter((t) => t.Lifecycle?.Hook === 'prestart');
    const later = draft.lifecycle.filter((t) => t.Lifecycle?.Hook !== 'prestart');
    groups.push({ ...draft.group, Tasks: [...prestart, draft.main, ...later] });
  }
  return {
    job: {
      Job: {
        ID: options.job,
        Name: options.job,
        Type: 'service',
        Datacenters: ['*'],
        Meta: { kepler_source: baked.sourcePath },
        TaskGroups: groups,
      },
    },
    warnings,
  };
}
