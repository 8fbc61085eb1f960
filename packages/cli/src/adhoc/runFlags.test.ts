import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunFlags, runService } from './runFlags.js';

const dir = mkdtempSync(join(tmpdir(), 'kepler-runflags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const none: RunFlags = {
  name: undefined,
  restart: undefined,
  env: undefined,
  envFile: undefined,
  cwd: undefined,
  user: undefined,
  command: ['sleep', '1'],
};
const ctx = { cwd: dir, env: { PATH: '/bin', KEEP: 'shell', GONE: undefined } };

describe('runService', () => {
  it('defaults: no name, restart no, here, the shell environment', () => {
    expect(runService(none, ctx)).toEqual({
      command: ['sleep', '1'],
      workingDir: dir,
      environment: ['PATH=/bin', 'KEEP=shell'],
      restart: 'no',
    });
  });

  it('layers the shell, --env-file (values as written, bare keys from the shell), then -e', () => {
    writeFileSync(join(dir, 'a.env'), "KEEP\nFILE='$x y'\nOVER=file\n");
    const s = runService({ ...none, envFile: 'a.env', env: ['OVER=e', 'EMPTY='] }, ctx);
    expect(s.environment).toEqual(['PATH=/bin', 'KEEP=shell', 'FILE=$x y', 'OVER=e', 'EMPTY=']);
  });

  it('passes name, restart, user and an absolute --cwd', () => {
    const s = runService({ ...none, name: 'web', restart: 'on-failure', user: 'app', cwd: '.' }, ctx);
    expect(s).toMatchObject({ name: 'web', restart: 'on-failure', user: 'app', workingDir: dir });
  });

  it.each<[Partial<RunFlags>, string]>([
    [{ command: [] }, 'missing command: kepler run [FLAGS] -- COMMAND [ARGS...]'],
    [{ restart: 'sometimes' }, '--restart: "sometimes" is not one of no, always, on-failure'],
    [{ env: ['NOEQUALS'] }, '-e: "NOEQUALS" is not KEY=VALUE'],
    [{ env: ['=x'] }, '-e: "=x" is not KEY=VALUE'],
    [{ name: 'global' }, '--name: "global" is not a valid service name'],
    [{ cwd: 'nowhere' }, `--cwd: not a directory: ${join(dir, 'nowhere')}`],
    [{ user: ' ' }, '--user: must name a user'],
    [{ envFile: 'missing.env' }, '--env-file: '],
  ])('%j is refused naming the flag', (flags, message) => {
    expect(() => runService({ ...none, ...flags }, ctx)).toThrow(message);
  });
});
