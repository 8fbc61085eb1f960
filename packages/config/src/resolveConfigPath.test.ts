import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { resolveConfigPath } from './resolveConfigPath.js';
import { cleanupTmpDirs, tmpDirWith } from './testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

function notFound(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected CONFIG_NOT_FOUND');
}

describe('resolveConfigPath', () => {
  it('finds kepler.yaml, then kepler.yml, in cwd', () => {
    const both = tmpDirWith({ 'kepler.yaml': '', 'kepler.yml': '' });
    expect(resolveConfigPath(undefined, both)).toBe(join(both, 'kepler.yaml'));
    const yml = tmpDirWith({ 'kepler.yml': '' });
    expect(resolveConfigPath(undefined, yml)).toBe(join(yml, 'kepler.yml'));
  });

  it('resolves -f against cwd, and a directory to the default names inside it', () => {
    const dir = tmpDirWith({ 'conf/app.yaml': '', 'sub/kepler.yml': '' });
    expect(resolveConfigPath('conf/app.yaml', dir)).toBe(join(dir, 'conf/app.yaml'));
    expect(resolveConfigPath(join(dir, 'conf/app.yaml'), '/')).toBe(join(dir, 'conf/app.yaml'));
    expect(resolveConfigPath('sub', dir)).toBe(join(dir, 'sub/kepler.yml'));
  });

  it('returns the canonical path with symlinks resolved', () => {
    const dir = tmpDirWith({ 'real/kepler.yaml': '' });
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    mkdirSync(join(dir, 'other'));
    symlinkSync(join(dir, 'real/kepler.yaml'), join(dir, 'other/kepler.yaml'));
    expect(resolveConfigPath(undefined, join(dir, 'link'))).toBe(join(dir, 'real/kepler.yaml'));
    expect(resolveConfigPath('other/kepler.yaml', dir)).toBe(join(dir, 'real/kepler.yaml'));
  });

  it('throws CONFIG_NOT_FOUND with a clear message', () => {
    const dir = tmpDirWith({});
    const missingDefault = notFound(() => resolveConfigPath(undefined, dir));
    expect(missingDefault.code).toBe('CONFIG_NOT_FOUND');
    expect(missingDefault.message).toBe(`no kepler.yaml or kepler.yml in ${dir} (use -f FILE to name one)`);
    expect(missingDefault.issues).toHaveLength(1);
    const missingFile = notFound(() => resolveConfigPath('nope.yaml', dir));
    expect(missingFile.code).toBe('CONFIG_NOT_FOUND');
    expect(missingFile.message).toBe(`config file not found: ${join(dir, 'nope.yaml')}`);
  });
});
