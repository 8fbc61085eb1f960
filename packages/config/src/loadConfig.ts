/**
 * The load pipeline, start to end: read the file -> parse (`parse.ts`) -> Lua (`lua/`) -> normalise
 * (`normalize.ts`, with `schema/`) -> validate (`validate.ts`) -> bake (`bake/`). Each stage lives in its
 * own module; this one only runs them in order and turns collected issues into one `ConfigError`.
 */
import { dirname } from 'node:path';
import { bakeNormalized } from './bake/index.js';
import { checkServiceCount } from './bounds.js';
import { ConfigError } from './errors.js';
import { IssueCollector } from './issues.js';
import { evaluateLua } from './lua/evaluateLua.js';
import { normalizeConfig } from './normalize.js';
import { parseConfigText } from './parse.js';
import { MAX_CONFIG_FILE_BYTES, readUserFile, UserFileError } from './readUserFile.js';
import { resolveConfigPath } from './resolveConfigPath.js';
import type { BakedConfig, ConfigIssue } from './types.js';
import { validateConfig } from './validate.js';

/** Options of `loadConfig`. */
export interface LoadConfigOptions {
  /** The config file; resolved to its canonical absolute path (the config's identity). */
  readonly path: string;
  /** The CLI's captured environment: the "system environment" for expansion, `sys_env: inherit` and Lua. */
  readonly env: Readonly<Record<string, string>>;
  /** The bake time recorded in `bakedAt` (default: now). */
  readonly now?: Date;
  /** Wall-clock limit for all Lua of this bake (default `LUA_DEADLINE_MS`). */
  readonly luaDeadlineMs?: number;
  /** Receives Lua `print` output (default: stderr, prefixed `[lua]`). */
  readonly onLuaPrint?: (text: string) => void;
  /**
   * Receives the absolute path of every Lua file the bake read (`!lua_file`, `require`d modules): with
   * the config file and `BakedConfig.envFiles`, what the snapshot was baked from.
   */
  readonly onLuaFileRead?: (path: string) => void;
}

/**
 * Reads, parses, evaluates (Lua), normalises, validates and bakes a config file into an immutable
 * snapshot. Every problem is collected: on any, it throws one `ConfigError` (`CONFIG_INVALID`) listing
 * them all, or `CONFIG_NOT_FOUND` when the file is missing. Lua runs here, once; nothing is cached.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<BakedConfig> {
  const sourcePath = resolveConfigPath(options.path, process.cwd());
  const configDir = dirname(sourcePath);
  const issues = new IssueCollector(sourcePath);
  let text: string;
  try {
    text = readUserFile(sourcePath, MAX_CONFIG_FILE_BYTES).toString('utf8');
  } catch (error) {
    if (!(error instanceof UserFileError)) throw error;
    const code = error.code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : 'CONFIG_INVALID';
    throw new ConfigError(code, [{ file: sourcePath, path: '', message: error.message }], error.message);
  }
  const parsed = parseConfigText(text, issues);
  if (!parsed) throw new ConfigError('CONFIG_INVALID', issues.issues);
  const raw = await evaluateLua(
    {
      raw: parsed,
      configDir,
      env: options.env,
      ...(options.luaDeadlineMs !== undefined ? { deadlineMs: options.luaDeadlineMs } : {}),
      ...(options.onLuaPrint ? { onPrint: options.onLuaPrint } : {}),
      ...(options.onLuaFileRead ? { onFileRead: options.onLuaFileRead } : {}),
    },
    issues,
  );
  if (!checkServiceCount(raw, issues)) throw new ConfigError('CONFIG_INVALID', issues.issues);
  const normalized = normalizeConfig(raw, issues);
  if (!normalized) throw new ConfigError('CONFIG_INVALID', issues.issues);
  validateConfig(normalized, issues);
  const baked = bakeNormalized(
    { config: normalized, sourcePath, configDir, env: options.env, now: options.now ?? new Date() },
    issues,
  );
  if (issues.size > 0) throw new ConfigError('CONFIG_INVALID', sortIssues(issues.issues));
  return baked;
}

/** Issues in file order (position-less ones last, in the order found). */
function sortIssues(issues: readonly ConfigIssue[]) {
  return [...issues]
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        (a.issue.line ?? Number.POSITIVE_INFINITY) - (b.issue.line ?? Number.POSITIVE_INFINITY) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.index - b.index,
    )
    .map(({ issue }) => issue);
}
