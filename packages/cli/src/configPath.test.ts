import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_NAMES as LIB_NAMES, resolveConfigPath } from '@kepler/config';
import { DEFAULT_CONFIG_NAMES, resolveConfigFile } from './configPath.js';
import { CliError } from './errors.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kepler-cli-configpath-'));
  mkdirSync(join(dir, 'both'));
  writeFileSync(join(dir, 'both', 'kepler.yaml'), '');
  writeFileSync(join(dir, 'both', 'kepler.yml'), '');
  mkdirSync(join(dir, 'yml'));
  writeFileSync(join(dir, 'yml', 'kepler.yml'), '');
  mkdirSync(join(dir, 'none'));
  mkdirSync(join(dir, 'dirnamed', 'kepler.yaml'), { recursive: true });
  writeFileSync(join(dir, 'dirnamed', 'kepler.yml'), '');
  writeFileSync(join(dir, 'other.yaml'), '');
  symlinkSync(join(dir, 'other.yaml'), join(dir, 'link.yaml'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The outcome of a resolver: the path, or the error's message. */
function outcome(fn: () => string): string {
  try {
    return fn();
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

describe('resolveConfigFile', () => {
  test('uses the same default names as @kepler/config', () => {
    expect(DEFAULT_CONFIG_NAMES).toEqual(LIB_NAMES);
  });

  test.each([
    ['kepler.yaml before kepler.yml', undefined, 'both'],
    ['kepler.yml as the fallback', undefined, 'yml'],
    ['neither file', undefined, 'none'],
    ['a directory named kepler.yaml is skipped', undefined, 'dirnamed'],
    ['-f FILE relative to cwd', 'other.yaml', '.'],
    ['-f through a symlink gives the target', 'link.yaml', '.'],
    ['-f DIR means the default names inside it', 'both', '.'],
    ['-f DIR without a config', 'none', '.'],
    ['-f missing file', 'missing.yaml', '.'],
  ])('%s: same result as @kepler/config', (_what, file, cwd) => {
    const at = join(dir, cwd);
    expect(outcome(() => resolveConfigFile(file, at))).toBe(outcome(() => resolveConfigPath(file, at)));
  });

  test('finds kepler.yaml, then kepler.yml, canonically', () => {
    expect(resolveConfigFile(undefined, join(dir, 'both'))).toBe(join(dir, 'both', 'kepler.yaml'));
    expect(resolveConfigFile(undefined, join(dir, 'yml'))).toBe(join(dir, 'yml', 'kepler.yml'));
    expect(resolveConfigFile('link.yaml', dir)).toBe(join(dir, 'other.yaml'));
  });

  test('not found is a CliError CONFIG_NOT_FOUND with exit 1', () => {
    let error: unknown;
    try {
      resolveConfigFile(undefined, join(dir, 'none'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ code: 'CONFIG_NOT_FOUND', exitCode: 1 });
  });
});
