/**
 * What a snapshot was baked from: the config file, every Lua file the bake read (`!lua_file`,
 * `require`) and every env file, each with its content hash. Recorded by the bake worker right after
 * the bake; checked by `kepler start`, `restart` and `ps` (one `stat` per file, a hash only when the
 * stat differs) to tell the user that the running snapshot is stale.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { MAX_CONFIG_FILE_BYTES, MAX_ENV_FILE_BYTES, readUserFile } from '@kepler/config/files';

/** One file a snapshot was baked from. `sha256` is null when it could not be read then. */
export interface SourceFile {
  readonly path: string;
  readonly sha256: string | null;
  readonly size: number;
  readonly mtimeMs: number;
}

/** The largest source file hashed (config and env files have their own caps; Lua files are small). */
const MAX_SOURCE_BYTES = Math.max(MAX_CONFIG_FILE_BYTES, MAX_ENV_FILE_BYTES);

/** Records `paths` (duplicates dropped) as they are now. */
export function recordSources(paths: readonly string[]): SourceFile[] {
  return [...new Set(paths)].map((path) => {
    const st = statOf(path);
    return { path, sha256: hashOf(path), size: st?.size ?? -1, mtimeMs: st?.mtimeMs ?? -1 };
  });
}

/**
 * The recorded files whose content differs now (or that are gone, or appeared). A file whose size
 * and mtime are unchanged is taken as unchanged without reading it.
 */
export function changedSources(recorded: readonly SourceFile[]): SourceFile[] {
  return recorded.filter((file) => {
    const st = statOf(file.path);
    if (st === null) return file.sha256 !== null;
    if (st.size === file.size && st.mtimeMs === file.mtimeMs) return false;
    return hashOf(file.path) !== file.sha256;
  });
}

/** The content hash of each recorded file, by path (for comparing two snapshots' env files). */
export function hashesByPath(sources: readonly SourceFile[]): Map<string, string | null> {
  return new Map(sources.map((s) => [s.path, s.sha256]));
}

/** Checks the shape of a sources record read from disk; null when it is not one. */
export function parseSources(value: unknown): SourceFile[] | null {
  if (!Array.isArray(value)) return null;
  const ok = value.every(
    (v) =>
      v !== null &&
      typeof v === 'object' &&
      typeof v.path === 'string' &&
      (v.sha256 === null || typeof v.sha256 === 'string') &&
      typeof v.size === 'number' &&
      typeof v.mtimeMs === 'number',
  );
  return ok ? (value as SourceFile[]) : null;
}

function statOf(path: string): { size: number; mtimeMs: number } | null {
  try {
    const st = statSync(path);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}

function hashOf(path: string): string | null {
  try {
    return createHash('sha256').update(readUserFile(path, MAX_SOURCE_BYTES)).digest('hex');
  } catch {
    return null;
  }
}
