/** Test helper (excluded from the build): a fresh temporary directory for each test of a file. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ScratchDir {
  /** The current test's directory (read it inside a test, not at module load). */
  readonly path: string;
  /** Writes `body` to `name` inside the directory and returns the file's path. */
  file(name: string, body: string): string;
}

/** Call at a test file's top level: each test gets a new directory, removed after it. */
export function useScratchDir(prefix: string): ScratchDir {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return {
    get path() {
      return dir;
    },
    file(name, body) {
      const path = join(dir, name);
      writeFileSync(path, body);
      return path;
    },
  };
}
