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
import { mergeOverlay, resolveMergeTags } from './overlays.js';
import { parseConfigText } from './parse.js';
import { MAX_CONFIG_FILE_BYTES, readUserFile, UserFileError } from './readUserFile.js';
import { resolveConfigPath } from './resolveConfigPath.js';
import type { BakedConfig, ConfigIssue } from './types.js';
import { validateConfig } from './validate.js';

/** Options of `loadConfig`. */
export interface LoadConfigOptions {
  /** The config file; resolved to its canonical absolute path (the config's identity). */
  readonly path: string;
  /**
   * Overlay files (the second and later `-f`), merged over `path` in order with docker compose's rules
   * (`overlays.ts`). They do not change the config's identity, and relative paths in them (env_file,
   * working_dir) still resolve against `path`'s directory, as compose does; `!lua_file` resolves
   * against the overlay's own directory.
   */
  readonly overlays?: readonly string[];
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
  const overlays = (options.overlays ?? []).map((file) => resolveConfigPath(file, process.cwd()));
  const configDir = dirname(sourcePath);
  const issues = new IssueCollector(sourcePath);
  let parsed = parseConfigText(readSource(sourcePath), issues);
  for (const overlayPath of overlays) {
    // Each file is parsed on its own, its problems naming it; one unusable file stops the load once all are read.
    const overlayIssues = new IssueCollector(overlayPath);
    const overlay = parseConfigText(readSource(overlayPath), overlayIssues, { overlay: true });
    issues.issues.push(...overlayIssues.issues);
    parsed = parsed && overlay ? mergeOverlay(parsed, overlay, issues) : null;
  }
  if (!parsed) throw new ConfigError('CONFIG_INVALID', issues.issues); // already in file order
  const raw = await evaluateLua(
    {
      raw: resolveMergeTags(parsed),
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
    {
      config: normalized,
      sourcePath,
      overlays,
      configDir,
      env: options.env,
      now: options.now ?? new Date(),
    },
    issues,
  );
  if (issues.size > 0) throw new ConfigError('CONFIG_INVALID', sortIssues(issues.issues, overlays));
  return baked;
}

/** The text of a config or overlay file; `CONFIG_NOT_FOUND` when it is missing. */
function readSource(path: string): string {
  try {
    return readUserFile(path, MAX_CONFIG_FILE_BYTES).toString('utf8');
  } catch (error) {
    if (!(error instanceof UserFileError)) throw error;
    const code = error.code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : 'CONFIG_INVALID';
    throw new ConfigError(code, [{ file: path, path: '', message: error.message }], error.message);
  }
}

/** Issues in file order: the config's, then each overlay's (position-less ones last, in the order found). */
function sortIssues(issues: readonly ConfigIssue[], overlays: readonly string[]) {
  const fileRank = (issue: ConfigIssue) => overlays.indexOf(issue.file) + 1;
  return [...issues]
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        fileRank(a.issue) - fileRank(b.issue) ||
        (a.issue.line ?? Number.POSITIVE_INFINITY) - (b.issue.line ?? Number.POSITIVE_INFINITY) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.index - b.index,
    )
    .map(({ issue }) => issue);
}
