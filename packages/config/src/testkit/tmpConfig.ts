/**
 * Test helpers: write a config (and any side files) into a fresh temporary directory and bake it.
 * Not part of the build (tsconfig.build.json excludes src/testkit).
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '../errors.js';
import { formatIssue } from '../issues.js';
import { loadConfig } from '../loadConfig.js';
import type { BakedConfig, ConfigIssue } from '../types.js';

const dirs: string[] = [];

/** Creates a temp dir holding `files` (paths relative to it); removed by `cleanupTmpDirs()`. */
export function tmpDirWith(files: Readonly<Record<string, string>>): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'kepler-config-test-')));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

export function cleanupTmpDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export const TEST_ENV: Readonly<Record<string, string>> = Object.freeze({
  HOME: '/home/tester',
  PATH: '/usr/bin:/bin',
  USER: 'tester',
});

export interface BakeYamlOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly files?: Readonly<Record<string, string>>;
  readonly luaDeadlineMs?: number;
  readonly onLuaPrint?: (text: string) => void;
  readonly onLuaFileRead?: (path: string) => void;
}

/** Bakes `yaml` (as kepler.yaml in a temp dir); throws when it has issues. */
export async function bakeYaml(yaml: string, options: BakeYamlOptions = {}): Promise<BakedConfig> {
  const dir = tmpDirWith({ ...options.files, 'kepler.yaml': yaml });
  return loadConfig({
    path: join(dir, 'kepler.yaml'),
    env: options.env ?? TEST_ENV,
    now: new Date('2030-01-01T00:00:00Z'),
    ...(options.luaDeadlineMs !== undefined ? { luaDeadlineMs: options.luaDeadlineMs } : {}),
    onLuaPrint: options.onLuaPrint ?? (() => {}),
    ...(options.onLuaFileRead ? { onLuaFileRead: options.onLuaFileRead } : {}),
  });
}

/** Bakes `yaml` expecting failure; returns the issues (file names relative to the temp dir). */
export async function issuesOf(yaml: string, options: BakeYamlOptions = {}): Promise<ConfigIssue[]> {
  try {
    await bakeYaml(yaml, options);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the config to be invalid, but it baked');
}

/** Like `issuesOf`, formatted as `kepler.yaml:L:C path: message` lines. */
export async function errorsOf(yaml: string, options: BakeYamlOptions = {}): Promise<string[]> {
  const issues = await issuesOf(yaml, options);
  return issues.map((issue) => formatIssue({ ...issue, file: issue.file.replace(/^.*\//, '') }));
}
