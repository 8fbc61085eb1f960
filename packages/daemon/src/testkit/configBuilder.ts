/**
 * A BakedConfig for in-process tests without YAML fixtures: `config().service('api', {...}).build(dir)`.
 * The raw config is written as JSON (which is YAML) to `<dir>/kepler.yaml` and goes through the real
 * load pipeline (`loadConfig` from @kepler/config: parse, normalise, validate, bake), so defaults and
 * validation are the real ones and a mistake in a test's config fails with the config's own message.
 * Not part of the build (tsconfig.build.json excludes src/testkit).
 */
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BakedConfig, loadConfig } from '@kepler/config';

/** A duration as kepler.yaml takes it: `20ms`, `1s`, or a number of seconds. */
export type RawDuration = string | number;

/** A hook as written in kepler.yaml: exactly one of `run` or `command`. */
export interface RawHook {
  command?: string[];
  run?: string;
  user?: string;
  group?: string;
  working_dir?: string;
  environment?: string[] | Record<string, string>;
}

/** One `depends_on` edge in its map form. */
export interface RawDependency {
  condition?:
    | 'service_started'
    | 'service_healthy'
    | 'service_completed_successfully'
    | 'service_unhealthy'
    | 'service_failed'
    | 'service_stopped';
  timeout?: RawDuration;
  restart?: boolean;
  exit_code?: Array<number | string> | number | string;
  wait?: boolean;
  required?: boolean;
}

/** A service as written in kepler.yaml (the commonly tested keys; anything else goes through `extra`). */
export interface RawService {
  command: string[];
  working_dir?: string;
  depends_on?: string[] | Record<string, RawDependency | null>;
  environment?: string[] | Record<string, string>;
  restart?:
    | 'no'
    | 'always'
    | 'on-failure'
    | `on-failure:${number}`
    | {
        policy?: 'no' | 'always' | 'on-failure';
        watch?: string[];
        backoff?: {
          initial?: RawDuration;
          multiplier?: number;
          max?: RawDuration;
          reset_after?: RawDuration;
        };
        max_retries?: number;
      };
  healthcheck?: {
    test?: string[] | string;
    interval?: RawDuration;
    timeout?: RawDuration;
    retries?: number;
    start_period?: RawDuration;
    on_unhealthy?: 'keep' | 'restart';
    start_timeout?: RawDuration;
  };
  hooks?: Partial<Record<string, RawHook>>;
  user?: string;
  group?: string;
  logs?: Record<string, unknown>;
  stop_signal?: string;
  stop_grace_period?: RawDuration;
  priority?: number;
  /** Any other key, passed through as written (validation still applies). */
  [extra: string]: unknown;
}

/** The `kepler:` block. */
export interface RawKepler {
  timeout?: RawDuration;
  sys_env?: 'clear' | 'inherit';
  logs?: Record<string, unknown>;
  hooks?: Partial<Record<string, RawHook>>;
}

/** The environment a test config is baked with (the CLI's environment in real use). */
export const BUILD_ENV: Readonly<Record<string, string>> = Object.freeze({
  HOME: '/home/tester',
  PATH: '/usr/bin:/bin',
  USER: 'tester',
});

/** Builds a raw config in memory; `build` bakes it through the real pipeline. */
export class ConfigBuilder {
  private readonly services: Record<string, RawService> = {};
  private keplerBlock: RawKepler | null = null;

  /** Adds (or replaces) a service; services keep the order they were added in (the config's order). */
  service(name: string, raw: RawService): this {
    this.services[name] = raw;
    return this;
  }

  /** Sets the `kepler:` block (global timeout, logs, hooks). */
  kepler(raw: RawKepler): this {
    this.keplerBlock = raw;
    return this;
  }

  /** The raw config object, as it is written to kepler.yaml. */
  raw(): Record<string, unknown> {
    return {
      ...(this.keplerBlock ? { kepler: this.keplerBlock } : {}),
      services: this.services,
    };
  }

  /**
   * Writes `<dir>/kepler.yaml` and bakes it (relative working_dirs resolve against `dir`). Without a
   * dir, a fresh one under the OS temp dir is made and left to its caller. Throws the config's
   * ConfigError when the config is invalid.
   */
  async build(dir?: string): Promise<BakedConfig> {
    const target = dir ?? mkdtempSync(join(tmpdir(), 'kepler-testkit-config-'));
    mkdirSync(target, { recursive: true });
    const path = join(realpathSync(target), 'kepler.yaml');
    writeFileSync(path, `${JSON.stringify(this.raw(), null, 2)}\n`);
    return loadConfig({ path, env: BUILD_ENV, onLuaPrint: () => undefined });
  }
}

/** Starts a config: `config().service('api', { command: ['api'] }).build(dir)`. */
export function config(): ConfigBuilder {
  return new ConfigBuilder();
}
