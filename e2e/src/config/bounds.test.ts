// Issue 9: one daemon serves every config on the machine, so one bad config must never cost the
// others. Inputs that made a bake unbounded (an alias bomb, deep nesting, a huge file) are refused with file:line:col and the bound, by `kepler config` and by the daemon, and a big
// config bakes off the daemon's event loop while other clients are answered.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, runCli, TestDaemon } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;
/** How long another client may wait for an answer while a config bakes. */
const ANSWER_WITHIN_MS = 1_000;

interface Client {
  request(req: Record<string, unknown>): Promise<unknown>;
  close(): void;
}
// The built protocol client: the test measures the daemon's answer, not a CLI's start-up.
const { DaemonClient } = (await import(join(REPO, 'packages/protocol/dist/index.js'))) as {
  DaemonClient: { connect(socket: string): Promise<Client> };
};

/** Ten levels of ten aliases under an `x-` key: ~600 bytes that expand to 10^10 nodes. */
function aliasBomb(): string {
  const lines = ['x-bomb:', `  x0: &a0 [${Array(10).fill('"lol"').join(',')}]`];
  for (let i = 1; i < 10; i++)
    lines.push(
      `  x${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(',')}]`,
    );
  return `${lines.join('\n')}\nservices:\n  web:\n    command: ["true"]\n    environment: *a9\n`;
}
const BOMB_AT = /bomb\.kepler\.yaml:7:12 x-bomb\.x5\[0\]: aliases expand to more than 250,000 nodes/;

/** 3,500 levels of block sequences. */
const DEEP = `services:\n  web:\n    command: ["true"]\nx-deep:\n  ${'- '.repeat(3500)}1\n`;
const DEEP_AT = /deep\.kepler\.yaml:5:129 x-deep(\[0\]){63}: nested more than 64 levels deep/;

/** 3,500 levels of block maps, one per line, then a key back at column 0 (the dedent yaml's parser recursed on). */
const DEEP_MAPS = `x-deep:\n${Array.from({ length: 3500 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')} 1\nservices:\n  web:\n    command: ["true"]\n`;
const DEEP_MAPS_AT = /deep-maps\.kepler\.yaml:65:65 x-deep(\.k){63}: nested more than 64 levels deep/;

/** `n` trivial services, then `extra` (the services bound itself is unit-tested in @kepler/config). */
function services(n: number, extra = ''): string {
  const lines = Array.from({ length: n }, (_, i) => `  s${i}:\n    command: ["sleep", "1000"]`);
  return `services:\n${lines.join('\n')}\n${extra}`;
}

const d = new TestDaemon('kepler-e2e-bounds');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

/** The daemon still runs and starts another config. */
async function expectDaemonServes(): Promise<void> {
  expect(d.proc?.exitCode).toBeNull();
  const other = d.writeConfig('services:\n  ok:\n    command: ["sleep", "1000"]\n', 'other.kepler.yaml');
  expect((await d.cli(['start', '-d', '-f', other])).code).toBe(0);
  expect((await d.cli(['stop', '-f', other])).code).toBe(0);
}

/**
 * Sends `req` (a bake) and, until it is answered, asks the daemon for its status on another
 * connection: returns each status round trip's time and the bake's outcome.
 */
/** A request that loads (bakes) `file` and changes nothing else: `stop` of no service (ps never loads). */
function loadRequest(file: string): Record<string, unknown> {
  return { type: 'stop', config: { path: file, env: {} }, services: [] };
}

async function answerTimesDuring(req: Record<string, unknown>): Promise<{ times: number[]; error: string }> {
  const baker = await DaemonClient.connect(d.socket);
  const other = await DaemonClient.connect(d.socket);
  try {
    let done = false;
    const bake = baker.request(req).then(
      () => 'no error',
      (e: Error) => e.message,
    );
    void bake.finally(() => {
      done = true;
    });
    const times: number[] = [];
    while (!done) {
      const started = performance.now();
      await other.request({ type: 'status' });
      times.push(performance.now() - started);
    }
    return { times, error: await bake };
  } finally {
    baker.close();
    other.close();
  }
}

describe('kepler config refuses what would make a bake unbounded', () => {
  it(
    'an alias bomb: at the alias, with the bound, in seconds',
    async () => {
      const file = d.writeConfig(aliasBomb(), 'bomb.kepler.yaml');
      const r = await runCli(['config', '-f', file], { timeoutMs: 30_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(BOMB_AT);
    },
    T,
  );

  it(
    '3,500 levels of nesting: a clear error at the first level too deep, not an internal error',
    async () => {
      const file = d.writeConfig(DEEP, 'deep.kepler.yaml');
      const r = await runCli(['config', '-f', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(DEEP_AT);
      expect(r.stderr).not.toMatch(/Internal error|call stack/);
    },
    T,
  );

  it(
    '3,500 levels of block maps followed by a key: the same clear error, not an internal error',
    async () => {
      const file = d.writeConfig(DEEP_MAPS, 'deep-maps.kepler.yaml');
      const r = await runCli(['config', '-f', file]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 1,
        stderr: expect.stringMatching(DEEP_MAPS_AT),
      });
      expect(r.stderr).not.toMatch(/Internal error|call stack/);
    },
    T,
  );
});

describe('the daemon refuses them and keeps serving everyone else', () => {
  it(
    'an alias bomb: start -d fails with the position while other clients are answered; ps again the same',
    async () => {
      const file = d.writeConfig(aliasBomb(), 'bomb.kepler.yaml');
      const { times, error } = await answerTimesDuring(loadRequest(file));
      expect(error).toMatch(BOMB_AT);
      expect(Math.max(...times)).toBeLessThan(ANSWER_WITHIN_MS);
      const start = await d.cli(['start', '-d', '-f', file], { timeoutMs: 30_000 });
      expect(start.code).toBe(1);
      expect(start.stderr).toMatch(BOMB_AT);
      await expectDaemonServes();
    },
    T,
  );

  it(
    '3,500 levels of nesting: start -d gives the clear error, exit 1',
    async () => {
      const file = d.writeConfig(DEEP, 'deep.kepler.yaml');
      const r = await d.cli(['start', '-d', '-f', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(DEEP_AT);
      expect(r.stderr).not.toMatch(/Internal error|call stack/);
      await expectDaemonServes();
    },
    T,
  );

  it(
    'a config file over the size bound is refused before it is read',
    async () => {
      const file = join(d.workDir, 'huge.kepler.yaml');
      writeFileSync(file, `services: {}\n${'#'.repeat(8 * 1024 * 1024)}\n`);
      const r = await d.cli(['start', '-d', '-f', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/huge\.kepler\.yaml: larger than 8 MiB/);
      expect(d.proc?.exitCode).toBeNull();
    },
    T,
  );

  it(
    'while a 5,000-service config bakes, another client is answered within 1 s',
    async () => {
      // The last service depends on one that does not exist: the whole pipeline runs (parse,
      // normalise, validate, bake), then the config is refused, so nothing is spawned.
      const file = d.writeConfig(
        services(5_000, '  broken:\n    command: ["true"]\n    depends_on: [missing]\n'),
        'big.kepler.yaml',
      );
      const { times, error } = await answerTimesDuring(loadRequest(file));
      expect(error).toMatch(/big\.kepler\.yaml:\d+:\d+ services\.broken\.depends_on/);
      // The bake overlapped several round trips, and none waited for it.
      expect(times.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...times)).toBeLessThan(ANSWER_WITHIN_MS);
    },
    T,
  );

  it(
    'a restarted daemon skips a snapshot that is an alias bomb, and bakes that config afresh',
    async () => {
      const file = d.writeConfig('services:\n  ok:\n    command: ["sleep", "1000"]\n', 'snap.kepler.yaml');
      expect((await d.cli(['start', '-d', '-f', file])).code).toBe(0);
      expect((await d.cli(['stop', '-f', file])).code).toBe(0);
      const snapshot = join(d.configStateDir(file), 'expanded_config.yaml');
      writeFileSync(snapshot, `formatVersion: 1\nsourcePath: ${file}\n${aliasBomb()}`);
      await d.crash();
      await d.start();
      // ps never loads a config; stop does (and bakes it afresh when its snapshot was skipped).
      expect((await d.cli(['stop', '-f', file])).code).toBe(0);
      const ps = await d.cli(['ps', '--json', '-f', file]);
      expect(ps.code).toBe(0);
      expect(JSON.parse(ps.stdout)).toEqual([expect.objectContaining({ name: 'ok' })]);
    },
    T,
  );
});
