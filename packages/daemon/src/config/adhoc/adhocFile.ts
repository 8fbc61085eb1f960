/**
 * The text of an ad-hoc config (`<state dir>/adhoc/<uid>.yaml`, `kepler run`'s services): pure
 * functions from services to the file and back. The file is JSON, which is YAML: the config pipeline
 * bakes it like any config, and the daemon's main thread reads it without the YAML parser (which only
 * the bake workers load).
 */
import { basename } from 'node:path';
import type { AdhocService } from '@kepler/protocol';

/** One service of the file, in the config file's own vocabulary. */
export type AdhocDefinition = Readonly<Record<string, unknown>>;

/** The services of an ad-hoc config, by name, in the file's order. */
export type AdhocServices = ReadonlyMap<string, AdhocDefinition>;

const HEADER = '# Kepler ad-hoc config: written by `kepler run` and `kepler rm`, not meant for editing.\n';

/** The file's text for `services` (none: the caller removes the file instead). */
export function renderAdhocFile(services: AdhocServices): string {
  return `${HEADER}${JSON.stringify({ services: Object.fromEntries(services) }, null, 2)}\n`;
}

/** The services of a file `renderAdhocFile` wrote. Throws on anything else (the caller names the file). */
export function parseAdhocFile(text: string): Map<string, AdhocDefinition> {
  const json = text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
  const data = JSON.parse(json) as { services?: unknown };
  const services = data.services;
  if (typeof services !== 'object' || services === null || Array.isArray(services))
    throw new Error('no services map');
  return new Map(Object.entries(services as Record<string, AdhocDefinition>));
}

/**
 * The name a service gets: `wanted`, or the command's basename in service-name form (`my.app` ->
 * `my-app`), followed by `-2`, `-3`... until it is free. Only an unnamed service is renamed: a taken
 * `wanted` name is the caller's clash to report.
 */
export function defaultName(command: readonly string[], taken: (name: string) => boolean): string {
  const base =
    basename(command[0] ?? '')
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'service';
  if (base !== 'global' && !taken(base)) return base;
  for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
}

/** Variables are expanded at bake in these fields: `$` must stay a `$`. */
function literal(value: string): string {
  return value.replaceAll('$', '$$$$');
}

/**
 * The definition of `service` as the file holds it. `user`: the user it runs as (already checked
 * against the caller), null for the daemon's own. Its environment is complete (`sys_env: clear`, the
 * default), so a later bake with another environment changes nothing.
 */
export function adhocDefinition(service: AdhocService, user: string | null): AdhocDefinition {
  return {
    command: [...service.command],
    working_dir: literal(service.workingDir),
    environment: service.environment.map(literal),
    restart: service.restart,
    ...(user === null ? {} : { user: literal(user) }),
  };
}
