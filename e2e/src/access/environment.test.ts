/**
 * Environment isolation: with the default `sys_env: clear` a service sees only what the config gives
 * it, so a secret exported in the CLI's shell does not reach it; `sys_env: inherit` passes the CLI's
 * environment as captured when the config was first loaded (a later CLI's environment does not
 * change it). Each service dumps its whole environment (`env`) to a file.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openUpDirs, TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const d = new TestDaemon('kepler-e2e-env');
let out: string;
const SECRET = 'xyz-e2e-secret-7f3a';
/** The PATH a service gets when its environment sets none (systemd's default). */
const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

beforeAll(async () => {
  openUpDirs(d);
  out = join(d.workDir, 'out');
  mkdirSync(out);
  chmodSync(out, 0o1777);
  await d.start();
}, T);

afterAll(() => d.cleanup(), T);

function dump(name: string): string {
  const file = join(out, name);
  return JSON.stringify(['sh', '-c', `env > ${file}.tmp && mv ${file}.tmp ${file} && exec sleep 600`]);
}

async function envOf(name: string): Promise<Map<string, string>> {
  const file = join(out, name);
  const text = await waitFor(
    () => (existsSync(file) ? readFileSync(file, 'utf8') : null),
    `${name} to dump env`,
  );
  return new Map(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
}

test(
  'clear (default) hides the CLI environment; inherit passes it; explicit $VAR expands at load',
  async () => {
    const config = d.writeConfig(
      `services:
  cleared:
    command: ${dump('cleared')}
    environment:
      - GIVEN=by-config
  expanded:
    command: ${dump('expanded')}
    environment:
      - FROM_SHELL=\${AWS_SECRET_KEY}
  inherited:
    command: ${dump('inherited')}
    sys_env: inherit
    environment:
      - GIVEN=by-config
`,
      'env.kepler.yaml',
    );
    const cliEnv = { AWS_SECRET_KEY: SECRET, API_TOKENS: 'tok-1' };
    const r = await d.cli(['start', '-d', '--wait', '--timeout', '30s', '-f', config], { env: cliEnv });
    expect(r.code).toBe(0);

    const cleared = await envOf('cleared');
    expect(cleared.get('GIVEN')).toBe('by-config');
    expect(cleared.has('AWS_SECRET_KEY')).toBe(false);
    expect(cleared.has('API_TOKENS')).toBe(false);
    expect([...cleared.values()].join('\n')).not.toContain(SECRET);
    // Nothing of the CLI's (or the daemon's) environment beyond what Kepler documents it adds.
    const allowed = new Set([
      'GIVEN',
      'PATH',
      'HOME',
      'USER',
      'LOGNAME',
      'SHELL',
      'PWD',
      'SHLVL',
      'KEPLER_SERVICE_ID',
      '_',
    ]);
    expect([...cleared.keys()].filter((k) => !allowed.has(k))).toEqual([]);
    // Not the CLI's PATH: systemd's default, so tools in /usr/local/bin and `#!/usr/bin/env` work.
    expect(cleared.get('PATH')).toBe(SYSTEMD_PATH);

    expect((await envOf('expanded')).get('FROM_SHELL')).toBe(SECRET);

    const inherited = await envOf('inherited');
    expect(inherited.get('AWS_SECRET_KEY')).toBe(SECRET);
    expect(inherited.get('API_TOKENS')).toBe('tok-1');
    expect(inherited.get('GIVEN')).toBe('by-config');
    expect(inherited.get('PATH')).toBe(process.env.PATH);

    // Captured at load: a restart from a CLI with another environment keeps the first one.
    rmSync(join(out, 'inherited'));
    const restarted = await d.cli(
      ['restart', '-d', '--wait', '--timeout', '30s', '-f', config, 'inherited'],
      { env: { AWS_SECRET_KEY: 'changed' } },
    );
    expect(restarted.code).toBe(0);
    expect((await envOf('inherited')).get('AWS_SECRET_KEY')).toBe(SECRET);
    await d.cli(['stop', '-f', config]);
  },
  T,
);

test(
  'a service, its hooks and its health check get the default PATH when their environment sets none',
  async () => {
    // printenv, not `echo $PATH`: sh has a PATH of its own when none is exported.
    const pathTo = (name: string) =>
      `printenv PATH > ${join(out, name)}.tmp; mv ${join(out, name)}.tmp ${join(out, name)}`;
    const config = d.writeConfig(
      `services:
  tools:
    command: ["sh", "-c", ${JSON.stringify(`${pathTo('svc-path')}; exec sleep 600`)}]
    healthcheck:
      test: ${JSON.stringify(pathTo('probe-path'))}
      interval: 1s
    hooks:
      pre_start:
        run: ${JSON.stringify(pathTo('hook-path'))}
  own:
    command: ["sh", "-c", ${JSON.stringify(`${pathTo('own-path')}; exec sleep 600`)}]
    environment:
      - PATH=/opt/own/bin:/usr/bin:/bin
`,
      'path.kepler.yaml',
    );
    // The CLI's PATH must not be what the services see.
    const r = await d.cli(['start', '-d', '--wait', '--timeout', '30s', '-f', config], {
      env: { PATH: `/cli/only/bin:${process.env.PATH}` },
    });
    expect(r.code).toBe(0);
    const read = (name: string) =>
      waitFor(() => (existsSync(join(out, name)) ? readFileSync(join(out, name), 'utf8') : null), name);
    expect(await read('svc-path')).toBe(`${SYSTEMD_PATH}\n`);
    expect(await read('hook-path')).toBe(`${SYSTEMD_PATH}\n`);
    expect(await read('probe-path')).toBe(`${SYSTEMD_PATH}\n`);
    expect(await read('own-path')).toBe('/opt/own/bin:/usr/bin:/bin\n');
    await d.cli(['stop', '-f', config]);
  },
  T,
);
