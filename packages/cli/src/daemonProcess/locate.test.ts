import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError } from '../errors.js';
import { DAEMON_NODE_FLAGS, locateDaemon } from './locate.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kepler-daemonproc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

describe('locateDaemon', () => {
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
    expect(() => locateDaemon({ KEPLER_DAEMON_BIN: join(dir, 'nope.js') })).toThrow(
      /KEPLER_DAEMON_BIN points to .*nope\.js/,
    );
  });

  it('finds packages/daemon/dist/main.js from the built CLI module', () => {
    mkdirSync(join(dir, 'cli/dist'), { recursive: true });
    mkdirSync(join(dir, 'daemon/dist'), { recursive: true });
    const main = script('daemon/dist/main.js', '');
    const base = pathToFileURL(join(dir, 'cli/dist/daemonProcess/locate.js')).href;
    expect(locateDaemon({ PATH: '' }, base)).toEqual({
      command: process.execPath,
      args: [...DAEMON_NODE_FLAGS, main],
      origin: 'workspace',
    });
  });

  it('falls back to an executable kepler-daemon on PATH, then fails with a hint', () => {
    const base = pathToFileURL(join(dir, 'cli/dist/daemonProcess/locate.js')).href;
    expect(() => locateDaemon({ PATH: dir }, base)).toThrow(CliError);
    expect(() => locateDaemon({ PATH: dir }, base)).toThrow(/KEPLER_DAEMON_BIN/);
    const bin = script('kepler-daemon', '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    expect(locateDaemon({ PATH: `/nonexistent:${dir}` }, base)).toEqual({
      command: bin,
      args: [],
      origin: 'PATH',
    });
  });
});
