/** `kepler export systemd|nomad`: the files written, warnings, errors. No daemon. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../testkit/fakeDaemon.js';
import { nomadJobProblems } from '../testkit/nomadJobCheck.js';
import { useScratchDir } from '../testkit/scratchDir.js';

const scratch = useScratchDir('kepler-cli-export-');
const env = () => ({
  KEPLER_DAEMON_PATH: `${scratch.path}/no-daemon`,
  HOME: '/home/tester',
  SECRET: 's3cret',
});

const CONFIG = [
  'services:',
  '  web:',
  '    command: sh -c "echo hi"',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a config's own ${VAR}
  '    environment: ["TOKEN=${SECRET}"]',
  '    healthcheck: { tcp: "127.0.0.1:9", interval: 1s }',
  '  worker:',
  '    command: ["sleep", "100"]',
  '    depends_on: [web]',
  '',
].join('\n');

describe('kepler export systemd', () => {
  it('writes units, env files (0600) and a target into a directory it creates', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    const out = join(scratch.path, 'deep', 'units');
    const r = await run(
      ['export', 'systemd', '-f', path, '-o', out, '--name', 'app', '--systemd-version', '252'],
      env(),
    );
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'app-web.env',
      'app-web.service',
      'app-worker.env',
      'app-worker.service',
      'app.target',
    ]);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(5);
    expect(statSync(join(out, 'app-web.env')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(out, 'app-web.env'), 'utf8')).toContain('TOKEN="s3cret"');
    expect(readFileSync(join(out, 'app-web.service'), 'utf8')).not.toContain('s3cret');
    expect(readFileSync(join(out, 'app-worker.service'), 'utf8')).toContain('Requires=app-web.service');
    expect(r.stderr).toBe(
      'warning: web: healthcheck: tcp 127.0.0.1:9 every 1s: no systemd equivalent: not exported\n',
    );
  });

  it('exports the services named only, and the same bytes twice', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    const out = join(scratch.path, 'u');
    const args = [
      'export',
      'systemd',
      '-f',
      path,
      '-o',
      out,
      '--name',
      'app',
      '--systemd-version',
      '254',
      'web',
    ];
    expect((await run(args, env())).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['app-web.env', 'app-web.service', 'app.target']);
    const first = readFileSync(join(out, 'app-web.service'));
    await run(args, env());
    expect(readFileSync(join(out, 'app-web.service'))).toEqual(first);
  });

  it('names an unknown service and exits 1, writing nothing', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    const out = join(scratch.path, 'none');
    const r = await run(['export', 'systemd', '-f', path, '-o', out, 'web', 'nope'], env());
    expect(r).toMatchObject({ code: 1, stderr: `No service named "nope" in ${path}\n` });
    expect(() => statSync(out)).toThrow();
  });

  it('refuses a bad --systemd-version', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    const r = await run(['export', 'systemd', '-f', path, '--systemd-version', 'new'], env());
    expect(r).toMatchObject({ code: 1 });
    expect(r.stderr).toContain('--systemd-version new');
  });
});

describe('kepler export nomad', () => {
  it('prints the job on stdout and the warnings on stderr', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    const r = await run(['export', 'nomad', '-f', path, '--job', 'shop'], env());
    expect(r.code).toBe(0);
    const job = JSON.parse(r.stdout);
    expect(nomadJobProblems(job)).toEqual([]);
    expect(job.Job.ID).toBe('shop');
    expect(job.Job.TaskGroups.map((g: { Name: string }) => g.Name)).toEqual(['web', 'worker']);
    expect(r.stderr).toContain('warning: web: healthcheck.tcp: ');
    expect(r.stderr).toContain('warning: worker: restart.policy: ');
  });

  it('-o writes the file (0600: it holds the environment) into directories it creates', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    const out = join(scratch.path, 'jobs', 'nested', 'job.json');
    const r = await run(['export', 'nomad', '-f', path, '-o', out, '--driver', 'exec', 'worker'], env());
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const job = JSON.parse(readFileSync(out, 'utf8'));
    expect(job.Job.TaskGroups.map((g: { Name: string }) => g.Name)).toEqual(['worker']);
    expect(job.Job.TaskGroups[0].Tasks.map((t: { Driver: string }) => t.Driver)).toEqual(['exec', 'exec']);
    expect(r.stderr).toContain('warning: worker: depends_on.web: web is not in this job');
  });

  it('refuses an unknown driver and an unknown service', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    const driver = await run(['export', 'nomad', '-f', path, '--driver', 'docker'], env());
    expect(driver).toMatchObject({ code: 1, stderr: '--driver docker: expected raw_exec or exec\n' });
    const unknown = await run(['export', 'nomad', '-f', path, 'ghost'], env());
    expect(unknown).toMatchObject({ code: 1, stderr: `No service named "ghost" in ${path}\n` });
  });
});

describe('kepler export -o where it cannot write', () => {
  it('names -o and what is wrong with it: a file where systemd wants a directory, a directory for nomad', async () => {
    const path = scratch.file('kepler.yaml', CONFIG);
    const file = scratch.file('not-a-dir', '');
    const systemd = await run(
      ['export', 'systemd', '-f', path, '-o', file, '--systemd-version', '252'],
      env(),
    );
    expect(systemd).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `-o ${file}: not a directory (export systemd writes a file per unit into a directory)\n`,
    });
    const nomad = await run(['export', 'nomad', '-f', path, '-o', scratch.path], env());
    expect(nomad).toMatchObject({
      code: 1,
      stderr: `-o ${scratch.path}: a directory (export nomad writes one file: name it, e.g. -o ${join(scratch.path, 'job.json')})\n`,
    });
  });
});
