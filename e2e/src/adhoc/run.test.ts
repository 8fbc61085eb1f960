/**
 * `kepler run` and `kepler rm` on a real daemon: services without a config file, kept in the caller's
 * ad-hoc config, reached by name from a directory without a kepler.yaml.
 */

import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CliProcess, WAIT_MS } from '../orchestration/helpers.js';
import { alive, cliAs, ensureCiUsers, openUpDirs, TestDaemon, userIds, waitFor } from '../testkit.js';

jest.setTimeout(90_000);

const d = new TestDaemon('kepler-e2e-adhoc');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

interface Row {
  config: string;
  name: string;
  status: string;
  pid: number | null;
}

async function psAll(): Promise<Row[]> {
  const r = await d.cli(['ps', '--all', '--json']);
  if (r.code !== 0) throw new Error(`ps --all failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Row[];
}

async function row(name: string): Promise<Row | undefined> {
  return (await psAll()).find((s) => s.name === name && s.config.includes('/adhoc/'));
}

function waitRow(name: string, ok: (r: Row) => boolean, what: string): Promise<Row> {
  return waitFor(async () => {
    const r = await row(name);
    return r && ok(r) ? r : null;
  }, `${name}: ${what}`);
}

const running = (r: Row) => r.status === 'running' && r.pid !== null;

async function logs(name: string): Promise<string> {
  const r = await d.cli(['logs', name]);
  if (r.code !== 0) throw new Error(`logs ${name} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

test('run -d: listed by ps --all with a pid, its output in logs NAME, -e/--env-file/--cwd seen', async () => {
  const sub = join(d.workDir, 'sub');
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(d.workDir, 'vars.env'), "FROM_FILE='file $value'\nOVERRIDDEN=file\n");
  const script = 'echo "env: $FROM_FILE / $OVERRIDDEN / $FROM_E / $(pwd)"; exec sleep 300';
  const r = await d.cli([
    'run',
    '-d',
    '--name',
    'envy',
    '--env-file',
    'vars.env',
    '-e',
    'OVERRIDDEN=e',
    '-e',
    'FROM_E=x=y',
    '--cwd',
    'sub',
    '--',
    'sh',
    '-c',
    script,
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const s = await waitRow('envy', running, 'running');
  expect(alive(s.pid!)).toBe(true);
  const out = await waitFor(async () => {
    const text = await logs('envy');
    return text.includes('env:') ? text : null;
  }, 'the output of envy');
  expect(out).toContain(`env: file $value / e / x=y / ${sub}`);
  // Root's alone: the file holds each service's whole environment.
  expect(statSync(join(d.stateDir, 'adhoc')).mode & 0o777).toBe(0o700);
  expect(statSync(join(d.stateDir, 'adhoc', '0.yaml')).mode & 0o777).toBe(0o600);
  const status = await d.cli(['daemon', 'status']);
  expect(status.stdout).toContain('adhoc/0.yaml');
  expect((await d.cli(['stop', 'envy'])).code).toBe(0);
});

test('stop NAME and restart NAME (a new pid); a taken name is refused naming the running one', async () => {
  expect((await d.cli(['run', '-d', '--name', 'napper', '--', 'sleep', '300'])).code).toBe(0);
  const first = await waitRow('napper', running, 'running');

  const clash = await d.cli(['run', '-d', '--name', 'napper', '--', 'sleep', '1']);
  expect(clash.code).toBe(1);
  expect(clash.stderr).toContain(`an ad-hoc service named napper already exists (running, pid ${first.pid})`);

  expect((await d.cli(['restart', '-d', 'napper'])).code).toBe(0);
  const second = await waitRow('napper', (r) => running(r) && r.pid !== first.pid, 'a new pid');
  await waitFor(() => !alive(first.pid!), 'the first process to end');

  const stop = await d.cli(['stop', 'napper']);
  expect(stop.stdout).toContain('Stopped napper');
  await waitRow('napper', (r) => r.status === 'stopped', 'stopped');
  await waitFor(() => !alive(second.pid!), 'the second process to end');
  const stoppedClash = await d.cli(['run', '-d', '--name', 'napper', '--', 'sleep', '1']);
  expect(stoppedClash.stderr).toContain(
    'napper already exists (stopped): start it with: kepler start napper;',
  );
});

test('an unnamed service is named after its command, made unique', async () => {
  for (let i = 0; i < 2; i++) expect((await d.cli(['run', '-d', '--', '/bin/sleep', '300'])).code).toBe(0);
  const names = (await psAll()).map((s) => s.name);
  expect(names).toEqual(expect.arrayContaining(['sleep', 'sleep-2']));
  // What shell completion offers after `kepler rm`: the daemon's ad-hoc config.
  expect((await d.cli(['rm', '--list'])).stdout.split('\n')).toEqual(
    expect.arrayContaining(['sleep', 'sleep-2']),
  );
  const rm = await d.cli(['rm', 'sleep', 'sleep-2']);
  expect(rm.code).toBe(0);
  expect(rm.stdout).toContain('Removed sleep-2');
});

test('rm stops the service and removes it: gone from ps and its process ended', async () => {
  expect((await d.cli(['run', '-d', '--name', 'doomed', '--', 'sleep', '300'])).code).toBe(0);
  const s = await waitRow('doomed', running, 'running');
  const rm = await d.cli(['rm', 'doomed']);
  expect(rm.code).toBe(0);
  expect(rm.stdout).toBe('Stopped doomed\nRemoved doomed\n');
  expect(await row('doomed')).toBeUndefined();
  await waitFor(() => !alive(s.pid!), 'its process to end');
  const again = await d.cli(['rm', 'doomed']);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('no ad-hoc service named doomed');
});

test('survives a daemon kill -9: the restarted daemon adopts it and still lists it', async () => {
  expect((await d.cli(['run', '-d', '--name', 'survivor', '--', 'sleep', '300'])).code).toBe(0);
  const before = await waitRow('survivor', running, 'running');
  await d.crash();
  await d.start();
  const after = await waitRow('survivor', running, 'running after the restart');
  expect(after.pid).toBe(before.pid);
  expect((await d.cli(['stop', 'survivor'])).code).toBe(0);
  await waitFor(() => !alive(before.pid!), 'the adopted process to end on stop');
});

test('without -d: follows the output; Ctrl+C stops the service', async () => {
  const cli = new CliProcess(
    ['run', '--name', 'fg', '--', 'sh', '-c', 'echo fg-hello; while true; do sleep 0.1; done'],
    { cwd: d.workDir, env: d.env },
  );
  await waitFor(() => cli.stdout.includes('fg-hello'), 'the output of fg in the foreground');
  const s = await waitRow('fg', running, 'running');
  cli.signal('SIGINT');
  expect(await cli.wait(WAIT_MS)).toBe(0);
  expect(cli.stdout).toMatch(/fg\s+\| fg-hello/);
  await waitRow('fg', (r) => r.status === 'stopped', 'stopped');
  await waitFor(() => !alive(s.pid!), 'its process to end');
});

test('a kepler.yaml found in the directory wins over an ad-hoc service of the same name', async () => {
  const dir = join(d.workDir, 'project');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kepler.yaml'), 'services:\n  web:\n    command: ["sleep", "300"]\n');
  const r = await d.cli(['stop', 'napper'], { cwd: dir });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('no such service in');
  expect(r.stderr).toContain('project/kepler.yaml: napper (services: web)');
});

test('a name the kepler.yaml here hides is said to be an ad-hoc service, with how to reach it', async () => {
  expect((await d.cli(['run', '-d', '--name', 'hidden', '--', 'sleep', '300'])).code).toBe(0);
  const s = await waitRow('hidden', running, 'running');
  const dir = join(d.workDir, 'hiding');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kepler.yaml'), 'services:\n  web:\n    command: ["sleep", "300"]\n');
  for (const command of [['stop'], ['logs'], ['inspect']]) {
    const r = await d.cli([...command, 'hidden'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hiding/kepler.yaml: hidden (services: web)');
    expect(r.stderr).toContain(
      `hidden: one of your \`kepler run\` services, which the config file here hides: run the command ` +
        `from a directory without kepler.yaml, or add -f ${join(d.stateDir, 'adhoc', '0.yaml')}`,
    );
  }
  // A name that is no ad-hoc service gets no such line.
  expect((await d.cli(['stop', 'nothere'], { cwd: dir })).stderr).not.toContain('kepler run');
  expect((await d.cli(['rm', 'hidden'])).code).toBe(0);
  await waitFor(() => !alive(s.pid!), 'its process to end');
});

test.each([
  [
    ['run', '--restart', 'sometimes', '--', 'true'],
    '--restart: "sometimes" is not one of no, always, on-failure',
  ],
  [['run', '-e', 'NOEQUALS', '--', 'true'], '-e: "NOEQUALS" is not KEY=VALUE'],
  [['run', '-d', '--'], 'missing command: kepler run [FLAGS] -- COMMAND [ARGS...]'],
  [['run', '--name', 'Bad.Name', '--', 'true'], '--name: "Bad.Name" is not a valid service name'],
  [['run', '--cwd', 'nowhere', '--', 'true'], '--cwd: not a directory'],
  [['run', '--env-file', 'bad.env', '--', 'true'], 'bad.env:2: expected KEY=value, found "bad key=1"'],
])('kepler %j is refused naming the flag', async (args, message) => {
  writeFileSync(join(d.workDir, 'bad.env'), 'GOOD=1\nbad key=1\n');
  const r = await d.cli(args);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(message);
});

describe('a user in the kepler group', () => {
  test('runs as themselves in their own ad-hoc config; --user root is refused naming the flag', async () => {
    const { inGroup } = ensureCiUsers();
    openUpDirs(d);
    const { uid } = userIds(inGroup.name);
    const r = await cliAs(d, inGroup, ['run', '-d', '--name', 'mine', '--', 'sleep', '300']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const mine = await waitFor(
      async () =>
        (await psAll()).find(
          (x) => x.name === 'mine' && x.config.endsWith(`/adhoc/${uid}.yaml`) && x.pid !== null,
        ),
      'mine running in the user ad-hoc config',
    );
    const uidLine = readFileSync(`/proc/${mine.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1];
    expect(Number(uidLine)).toBe(uid);
    // Root's ad-hoc config is another one: the name is free there.
    expect((await d.cli(['stop', 'mine'])).stderr).toMatch(/no such service in .*\/adhoc\/0\.yaml: mine/);

    const root = await cliAs(d, inGroup, ['run', '-d', '--user', 'root', '--', 'true']);
    expect(root.code).toBe(1);
    expect(root.stderr).toContain('--user root: only root may run a service as another user');

    // Its ad-hoc file is root's alone: the names come from the daemon, its own only.
    const listed = await cliAs(d, inGroup, ['rm', '--list']);
    expect(listed.stdout).toBe('mine\n');
    const rm = await cliAs(d, inGroup, ['rm', 'mine']);
    expect(rm.code).toBe(0);
    await waitFor(() => !alive(mine.pid!), 'its process to end');
  });

  test('root may name them with --user', async () => {
    const { inGroup } = ensureCiUsers();
    openUpDirs(d);
    const { uid } = userIds(inGroup.name);
    const r = await d.cli(['run', '-d', '--name', 'asuser', '--user', inGroup.name, '--', 'sleep', '300']);
    expect(r.code).toBe(0);
    const s = await waitRow('asuser', running, 'running');
    const uidLine = readFileSync(`/proc/${s.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1];
    expect(Number(uidLine)).toBe(uid);
    expect((await d.cli(['rm', 'asuser'])).code).toBe(0);
  });
});
