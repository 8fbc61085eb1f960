import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CliError } from '../errors.js';
import { useScratchDir } from '../testkit/scratchDir.js';
import { DAEMON_NODE_FLAGS, locateDaemon } from './locate.js';

const scratch = useScratchDir('kepler-daemonproc-');
const script = (name: string, body: string): string => scratch.file(name, body);

describe('locateDaemon', () => {
  it('runs the daemon with the Node flags its #! line names (so executing it directly agrees)', () => {
    const main = fileURLToPath(new URL('../../../daemon/src/main.ts', import.meta.url));
    const hashBang = readFileSync(main, 'utf8').split('\n')[0];
    expect(hashBang).toBe(`#!/usr/bin/env -S node ${DAEMON_NODE_FLAGS.join(' ')}`);
  });

  it('runs a .js KEPLER_DAEMON_BIN with this Node, and executes anything else', () => {
    const js = script('d.js', '');
    expect(locateDaemon({ KEPLER_DAEMON_BIN: js })).toEqual({
      command: process.execPath,
      args: [...DAEMON_NODE_FLAGS, js],
      origin: 'KEPLER_DAEMON_BIN',
    });
    const bin = script('kd', '#!/bin/sh\n');
    expect(locateDaemon({ KEPLER_DAEMON_BIN: bin })).toEqual({
      command: bin,
      args: [],
      origin: 'KEPLER_DAEMON_BIN',
    });
  });

  it('refuses a KEPLER_DAEMON_BIN that does not exist', () => {
    expect(() => locateDaemon({ KEPLER_DAEMON_BIN: join(scratch.path, 'nope.js') })).toThrow(
      /KEPLER_DAEMON_BIN points to .*nope\.js/,
    );
  });

  it('finds packages/daemon/dist/main.js beside the CLI package', () => {
    mkdirSync(join(scratch.path, 'cli/dist'), { recursive: true });
    mkdirSync(join(scratch.path, 'daemon/dist'), { recursive: true });
    const main = script('daemon/dist/main.js', '');
    const base = `${pathToFileURL(join(scratch.path, 'cli')).href}/`;
    expect(locateDaemon({ PATH: '' }, base)).toEqual({
      command: process.execPath,
      args: [...DAEMON_NODE_FLAGS, main],
      origin: 'workspace',
    });
  });

  it('falls back to an executable kepler-daemon on PATH, then fails with a hint', () => {
    const base = `${pathToFileURL(join(scratch.path, 'cli')).href}/`;
    expect(() => locateDaemon({ PATH: scratch.path }, base)).toThrow(CliError);
    expect(() => locateDaemon({ PATH: scratch.path }, base)).toThrow(/KEPLER_DAEMON_BIN/);
    const bin = script('kepler-daemon', '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    expect(locateDaemon({ PATH: `/nonexistent:${scratch.path}` }, base)).toEqual({
      command: bin,
      args: [],
      origin: 'PATH',
    });
  });
});
