/**
 * `kepler run`'s flags to the service it asks the daemon for: each mistake is a UsageError naming
 * the flag. Pure but for reading `--env-file` (as the CLI's user: the daemon never reads it).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { EnvFileSyntaxError, MAX_ENV_FILE_BYTES, parseEnvFile, readUserFile } from '@kepler/config/files';
import { SERVICE_NAME_PATTERN, splitAssignment } from '@kepler/config/grammar';
import type { AdhocService } from '@kepler/protocol';
import { UsageError } from '../errors.js';

/** The accepted `--restart` values (the config's `restart` policies). */
export const RUN_RESTART_POLICIES = ['no', 'always', 'on-failure'] as const;

/** `kepler run`'s flags as clipanion parsed them. */
export interface RunFlags {
  readonly name: string | undefined;
  readonly restart: string | undefined;
  readonly env: readonly string[] | undefined;
  readonly envFile: string | undefined;
  readonly cwd: string | undefined;
  readonly user: string | undefined;
  readonly command: readonly string[];
}

/** Where the flags are read: the CLI's working directory and environment. */
export interface RunContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The service `flags` describe. Its environment is the CLI's, then `--env-file`'s entries, then each
 * `-e` (later ones win), so the process sees what the command would see in this shell.
 *
 * @throws UsageError naming the flag.
 */
export function runService(flags: RunFlags, ctx: RunContext): AdhocService {
  if (flags.command.length === 0 || flags.command[0] === '')
    throw new UsageError('missing command: kepler run [FLAGS] -- COMMAND [ARGS...]');
  if (flags.name !== undefined && !SERVICE_NAME_PATTERN.test(flags.name))
    throw new UsageError(
      `--name: "${flags.name}" is not a valid service name (use lowercase letters, digits, _ and -; "global" is reserved)`,
    );
  const restart = RUN_RESTART_POLICIES.find((p) => p === (flags.restart ?? 'no'));
  if (restart === undefined)
    throw new UsageError(`--restart: "${flags.restart}" is not one of ${RUN_RESTART_POLICIES.join(', ')}`);
  if (flags.user !== undefined && flags.user.trim() === '') throw new UsageError('--user: must name a user');
  const env = new Map<string, string>();
  for (const [key, value] of Object.entries(ctx.env)) if (value !== undefined) env.set(key, value);
  if (flags.envFile !== undefined) for (const [k, v] of readEnvFile(flags.envFile, ctx)) env.set(k, v);
  for (const entry of flags.env ?? []) {
    const set = splitAssignment(entry);
    if (set === null || set.key === '') throw new UsageError(`-e: "${entry}" is not KEY=VALUE`);
    env.set(set.key, set.value);
  }
  return {
    ...(flags.name === undefined ? {} : { name: flags.name }),
    command: [...flags.command],
    workingDir: workingDir(flags.cwd, ctx.cwd),
    environment: [...env].map(([k, v]) => `${k}=${v}`),
    restart,
    ...(flags.user === undefined ? {} : { user: flags.user }),
  };
}

function workingDir(cwd: string | undefined, base: string): string {
  const dir = resolve(base, cwd ?? '.');
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new UsageError(`--cwd: not a directory: ${dir}`);
  return dir;
}

/**
 * `--env-file`'s entries, read with the env_file syntax (docker compose's). Values are taken as
 * written (no `${VAR}` expansion); a bare `KEY` passes the CLI's value on, and is left out without one.
 */
function readEnvFile(file: string, ctx: RunContext): Array<[string, string]> {
  const path = resolve(ctx.cwd, file);
  let text: string;
  try {
    text = readUserFile(path, MAX_ENV_FILE_BYTES).toString('utf8');
  } catch (e) {
    throw new UsageError(`--env-file: ${(e as Error).message}`);
  }
  try {
    return parseEnvFile(text).flatMap((entry): Array<[string, string]> => {
      const value = entry.value ?? ctx.env[entry.key];
      return value === undefined ? [] : [[entry.key, value]];
    });
  } catch (e) {
    const at = e instanceof EnvFileSyntaxError ? `${path}:${e.line}` : path;
    throw new UsageError(`--env-file ${at}: ${(e as Error).message}`);
  }
}
