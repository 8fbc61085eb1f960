/** What a systemd mapping row reads and produces, and the helpers rows share. */
import type { BakedConfig, BakedService } from '@kepler/config';
import { notFoundText } from '../resolveExecutable.js';
import { execLine } from './systemdSyntax.js';

export type UnitSection = 'Unit' | 'Service';

/**
 * What a row produces: a directive in a section, a variable of the unit's EnvironmentFile, or a setting
 * the unit cannot carry (a warning).
 */
export type RowItem =
  | { readonly kind: 'set'; readonly section: UnitSection; readonly key: string; readonly value: string }
  | { readonly kind: 'env'; readonly name: string; readonly value: string }
  | { readonly kind: 'warn'; readonly key: string; readonly message: string };

/** What a row may read besides the service. */
export interface UnitContext {
  readonly baked: BakedConfig;
  readonly service: BakedService;
  /** The version units are written for (detected, or `--systemd-version`). */
  readonly systemdVersion: number;
  /** The unit file name of a service of this config. */
  unitOf(service: string): string;
  readonly targetName: string;
  /** Absolute path of this service's EnvironmentFile. */
  readonly envFilePath: string;
  /** Whether a service is written as Type=oneshot (another one waits for it to complete). */
  isOneshot(service: string): boolean;
  /** The services being exported. */
  readonly exported: ReadonlySet<string>;
  /** argv with argv[0] made absolute (systemd requires it), or null when no such file was found. */
  absolute(argv: readonly string[], cwd: string, env: Readonly<Record<string, string>>): string[] | null;
}

/** One Kepler key and how it maps. */
export interface SystemdRow {
  /** The key in the config file's words (`restart.backoff`), or what the row adds (`(target)`). */
  readonly key: string;
  map(ctx: UnitContext): RowItem[];
}

export function set(section: UnitSection, key: string, value: string): RowItem {
  return { kind: 'set', section, key, value };
}

export function env(name: string, value: string): RowItem {
  return { kind: 'env', name, value };
}

export function warn(key: string, message: string): RowItem {
  return { kind: 'warn', key, message };
}

/** An `Exec*=` directive for `argv` run in `cwd`, or a warning when argv[0] was not found. */
export function execItem(
  ctx: UnitContext,
  key: string,
  directive: string,
  argv: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>>,
  prefix = '',
): RowItem {
  const exe = ctx.absolute(argv, cwd, env);
  if (exe === null) {
    return warn(
      key,
      `${notFoundText(argv[0] ?? '', cwd)}; ${directive}= needs an absolute path: not exported`,
    );
  }
  return set('Service', directive, `${prefix}${execLine(exe)}`);
}
