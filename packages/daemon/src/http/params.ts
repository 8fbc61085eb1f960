import { resolveConfigPath } from '@kepler/config/files';
import type { ConfigRef } from '@kepler/protocol';
import type { ConfigRegistry } from '../config/ConfigRegistry.js';
import { ApiError } from './invoke.js';

/**
 * An HTTP request's parameters: the query string and, for POST, the JSON body's fields (a field in
 * both: the body's). Each getter checks its field and answers 400 BAD_REQUEST naming it.
 */
export class Params {
  constructor(
    private readonly query: URLSearchParams,
    private readonly body: Record<string, unknown> = {},
  ) {}

  private raw(name: string): unknown {
    if (Object.hasOwn(this.body, name)) return this.body[name];
    const all = this.query.getAll(name);
    return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
  }

  /** A field that takes one value: a query parameter repeated is refused as such, not as a bad value. */
  private one(name: string): unknown {
    if (!Object.hasOwn(this.body, name) && this.query.getAll(name).length > 1) {
      throw bad(name, 'given more than once: give one');
    }
    return this.raw(name);
  }

  /**
   * Refuses a field outside `known` (in the query or the body): a misspelt `services` would
   * otherwise be ignored, and a stop of one service become a stop of all.
   */
  checkKnown(known: readonly string[], route: string): void {
    for (const name of [...this.query.keys(), ...Object.keys(this.body)]) {
      if (!known.includes(name)) {
        const takes = known.length === 0 ? 'none' : known.join(', ');
        throw bad(name, `not a field of ${route} (it takes ${takes})`);
      }
    }
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  string(name: string): string | undefined {
    const v = this.one(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw bad(name, 'expected a non-empty string');
    return v;
  }

  /** A list: a JSON array of strings, or a repeated / comma-separated query parameter. */
  strings(name: string): string[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    const list = typeof v === 'string' ? v.split(',') : v;
    if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === '')) {
      throw bad(name, 'expected a list of names');
    }
    return list as string[];
  }

  /** A whole number from 0 to `max` (a JSON number or a query string of digits). */
  count(name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.one(name);
    if (v === undefined) return undefined;
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw bad(name, 'expected a whole number >= 0');
    }
    if (n > max) throw bad(name, `expected at most ${max}`);
    return n;
  }

  /** true/false; a query parameter given without a value (`?follow`) is true. */
  flag(name: string): boolean {
    const v = this.one(name);
    if (v === undefined || v === false || v === 'false' || v === '0') return false;
    if (v === true || v === '' || v === 'true' || v === '1') return true;
    throw bad(name, 'expected true or false');
  }

  oneOf<const T extends string>(name: string, values: readonly T[], fallback: T): T {
    const v = this.one(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      throw bad(name, `expected one of ${values.join(', ')}`);
    }
    return v as T;
  }
}

function bad(field: string, message: string): ApiError {
  return new ApiError(400, 'BAD_REQUEST', `${field}: ${message}`);
}

/**
 * The config a request is about (`config`: its canonical path). Only a config the daemon has loaded:
 * the API has no shell environment to bake a new one with (the CLI loads it). Without `config`, the
 * one config loaded, if there is exactly one.
 */
export function configOf(params: Params, registry: ConfigRegistry): ConfigRef {
  const path = params.string('config');
  if (path === undefined) {
    const loaded = registry.list();
    if (loaded.length === 1) return { path: loaded[0]!.path, env: {} };
    throw bad(
      'config',
      loaded.length === 0
        ? 'required: the daemon has no config loaded (start one with the CLI first)'
        : `required: the daemon has ${loaded.length} configs loaded (${loaded.map((a) => a.path).join(', ')})`,
    );
  }
  if (!path.startsWith('/')) throw bad('config', 'expected the absolute path of a config file');
  // Configs are loaded under their canonical path (the CLI's): `..`, a symlink or the directory name
  // the same file, which is loaded, not one to start with the CLI.
  const actor = registry.find(path) ?? registry.find(canonicalPath(path));
  if (!actor) {
    throw new ApiError(
      404,
      'CONFIG_NOT_LOADED',
      `the daemon has not loaded ${path}: start it once with the CLI (kepler -f ${path} start)`,
    );
  }
  return { path: actor.path, env: {} };
}

/** `path` as the CLI names a config (symlinks resolved, a directory's kepler.yaml), or as given. */
function canonicalPath(path: string): string {
  try {
    return resolveConfigPath(path, '/');
  } catch {
    return path;
  }
}
