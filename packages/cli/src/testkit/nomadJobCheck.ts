/**
 * Test helper (excluded from the build): checks a job from `kepler export nomad` against the schema
 * written from Nomad's job API (export/nomad/nomad-job.schema.json, with ajv), then against the rules
 * between fields that nomad/structs validates and a schema cannot say. Returns every problem found.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ajvModule from 'ajv';
import type { NomadJobFile } from '../export/nomad/nomadJob.js';

const SCHEMA_PATH = join(dirname(fileURLToPath(import.meta.url)), '../export/nomad/nomad-job.schema.json');

// ajv is CommonJS: under ESM its class is the default export's `default`, or the default itself.
type AjvClass = typeof ajvModule.Ajv;
const Ajv = ((ajvModule as unknown as { default?: { default?: AjvClass } }).default?.default ??
  (ajvModule as unknown as { default?: AjvClass }).default ??
  ajvModule.Ajv) as AjvClass;
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);

/** nomad/structs RestartPolicy.Validate and ReschedulePolicy.Validate, for what the export writes. */
function crossFieldProblems(file: NomadJobFile): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const group of file.Job.TaskGroups) {
    if (names.has(group.Name)) problems.push(`group ${group.Name}: duplicate group name`);
    names.add(group.Name);
    const taskNames = new Set<string>();
    for (const task of group.Tasks) {
      if (taskNames.has(task.Name)) problems.push(`group ${group.Name}: duplicate task ${task.Name}`);
      taskNames.add(task.Name);
    }
    if (group.Tasks.filter((t) => t.Lifecycle === undefined).length < 1) {
      problems.push(`group ${group.Name}: no main task`);
    }
    const r = group.RestartPolicy;
    if (r !== undefined) {
      if (r.Attempts === 0 && r.Mode !== 'fail')
        problems.push(`group ${group.Name}: restart attempts 0 is ambiguous`);
      if (r.Attempts * r.Delay > r.Interval)
        problems.push(`group ${group.Name}: attempts x delay > interval`);
    }
    const s = group.ReschedulePolicy;
    if (s !== undefined && ((s.Attempts ?? 0) > 0 || s.Unlimited)) {
      if ((s.Attempts ?? 0) > 0 && s.Unlimited) problems.push(`group ${group.Name}: attempts with unlimited`);
      if (s.Delay === undefined || s.DelayFunction === undefined)
        problems.push(`group ${group.Name}: no delay`);
      if (s.DelayFunction !== 'constant' && (s.MaxDelay ?? 0) < (s.Delay ?? 0)) {
        problems.push(`group ${group.Name}: max delay under delay`);
      }
    }
    const labels = new Set(
      group.Networks?.flatMap((n) =>
        [...(n.ReservedPorts ?? []), ...(n.DynamicPorts ?? [])].map((p) => p.Label),
      ) ?? [],
    );
    for (const task of group.Tasks) {
      for (const service of task.Services ?? []) {
        for (const label of [service.PortLabel, ...(service.Checks ?? []).map((c) => c.PortLabel)]) {
          if (label !== undefined && !labels.has(label)) problems.push(`task ${task.Name}: no port ${label}`);
        }
      }
    }
  }
  return problems;
}

/** Every problem of `job`: schema errors as `path message`, then cross-field ones. Empty when valid. */
export function nomadJobProblems(job: unknown): string[] {
  const problems: string[] = [];
  if (!validate(job)) {
    for (const e of validate.errors ?? []) problems.push(`${e.instancePath || '/'} ${e.message ?? ''}`);
    return problems;
  }
  return crossFieldProblems(job as NomadJobFile);
}
