// Issue 3: configs and their state directories, recreate, prune, reload after a daemon restart, and
// the shape of `ps --json`. Black-box: built daemon + CLI, files read from the temp state directory.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { alive, REPO, TestDaemon, waitFor } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 60_000;

const { parse: parseYaml, stringify: stringifyYaml } = createRequire(
  join(REPO, 'packages/config/package.json'),
)('yaml') as {
  parse: (text: string) => unknown;
  stringify: (data: unknown) => string;
};

/** The one-word statuses of the spec; nothing else may appear anywhere. */
const STATUSES = new Set([
  'stopped',
  'waiting',
  'starting',
  'running',
  'healthy',
  'unhealthy',
  'stopping',
  'restarting',
  'exited',
  'failed',
]);

type Info = Record<string, unknown>;
interface PersistedState {
  services: Record<string, Record<string, unknown>>;
}

const d = new TestDaemon('kepler-e2e-state');
beforeAll(() => d.start(), T);
afterAll(() => d.cleanup(), T);

const APP = [
  'services:',
  '  web:',
  '    command: ["sleep", "1000"]',
  '    env_file: app.env',
  '    environment:',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Kepler's own ${VAR:-default} syntax
  '      - GREETING=${GREETING:-hello}',
  '  once:',
  '    command: ["sh", "-c", "exit 0"]',
  '  broken:',
  '    command: ["sh", "-c", "exit 3"]',
  '',
].join('\n');

let app: string;
beforeAll(() => {
  writeFileSync(join(d.workDir, 'app.env'), 'FROM_FILE=from-env-file\n');
  app = d.writeConfig(APP, 'kepler.yaml');
});

function stateOf(config: string): PersistedState {
  return JSON.parse(readFileSync(join(d.configStateDir(config), 'state.json'), 'utf8')) as PersistedState;
}

const waitStatus = (config: string, name: string, status: string, timeoutMs = 20_000): Promise<Info> =>
  d.waitStatus(config, name, status, timeoutMs);

/** The process environment of a live pid, as a map. */
function environOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

describe('a config state directory', () => {
  test(
    'first use creates config.yaml, source_path.txt, state.json, env_files/, logs/ (no snapshot yet)',
    async () => {
      // First use by a command that acts on the config: `ps` only reads and never loads one.
      expect((await d.cli(['stop', '-f', app])).code).toBe(0);
      const services = await d.ps(app);
      expect(services.map((s) => [s.name, s.status])).toEqual([
        ['web', 'stopped'],
        ['once', 'stopped'],
        ['broken', 'stopped'],
      ]);
      const dir = d.configStateDir(app);
      expect(readFileSync(join(dir, 'config.yaml'), 'utf8')).toBe(APP);
      expect(readFileSync(join(dir, 'source_path.txt'), 'utf8').trim()).toBe(app);
      expect(readFileSync(join(dir, 'env_files', 'app.env'), 'utf8')).toBe('FROM_FILE=from-env-file\n');
      expect(statSync(join(dir, 'logs')).isDirectory()).toBe(true);
      const st = stateOf(app);
      expect(Object.keys(st.services).sort()).toEqual(['broken', 'once', 'web']);
      for (const s of Object.values(st.services)) expect(s.status).toBe('stopped');
      // The snapshot is written at first start, not at first use.
      expect(existsSync(join(dir, 'expanded_config.yaml'))).toBe(false);
    },
    T,
  );

  test(
    'start writes expanded_config.yaml and state.json carries every field per service',
    async () => {
      expect((await d.cli(['start', '-d', '-f', app])).code).toBe(0);
      const web = await waitStatus(app, 'web', 'running');
      await waitStatus(app, 'once', 'exited');
      await waitStatus(app, 'broken', 'failed');

      const snapshot = parseYaml(
        readFileSync(join(d.configStateDir(app), 'expanded_config.yaml'), 'utf8'),
      ) as {
        sourcePath: string;
        services: Record<string, unknown>;
        hash: string;
      };
      expect(snapshot.sourcePath).toBe(app);
      expect(Object.keys(snapshot.services).sort()).toEqual(['broken', 'once', 'web']);

      const st = await waitFor(() => {
        const s = stateOf(app);
        return s.services.web?.status === 'running' && s.services.broken?.status === 'failed' ? s : null;
      }, 'state.json to catch up');
      for (const [name, s] of Object.entries(st.services)) {
        for (const key of [
          'status',
          'pid',
          'exit_code',
          'signal',
          'restarts',
          'health_failures',
          'started_at',
          'stopped_at',
        ]) {
          expect({ name, key, present: key in s }).toEqual({ name, key, present: true });
        }
        expect(STATUSES.has(s.status as string)).toBe(true);
      }
      expect(st.services.web?.pid).toBe(web.pid);
      expect(typeof st.services.web?.started_at).toBe('string');
      expect(st.services.once).toMatchObject({ status: 'exited', exit_code: 0 });
      expect(st.services.broken).toMatchObject({ status: 'failed', exit_code: 3 });
      expect(typeof st.services.broken?.stopped_at).toBe('string');

      // The environment the service got: env_file and expanded environment entries.
      const env = environOf(web.pid as number);
      expect(env.FROM_FILE).toBe('from-env-file');
      expect(env.GREETING).toBe('hello');
    },
    T,
  );

  test(
    'ps --all --json has the config and every documented field, with one-word statuses',
    async () => {
      const r = await d.cli(['ps', '--all', '--json']);
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.stdout) as Info[];
      const mine = rows.filter((s) => s.config === app);
      expect(mine.map((s) => s.name).sort()).toEqual(['broken', 'once', 'web']);
      for (const s of rows) {
        for (const key of [
          'config',
          'name',
          'status',
          'pid',
          'exit_code',
          'signal',
          'restarts',
          'started_at',
          'stopped_at',
          'health',
        ]) {
          expect(key in s).toBe(true);
        }
        expect(STATUSES.has(s.status as string)).toBe(true);
      }
      // The table form: a CONFIG column first, one-word statuses in STATUS.
      const table = await d.cli(['ps', '--all']);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(
        /^CONFIG\s+NAME\s+STATUS\s+PID\s+UPTIME\s+RESTARTS\s+HEALTH/,
      );
    },
    T,
  );
});

describe('recreate', () => {
  test(
    'refuses while services run; after stop it re-bakes from the edited source and current env',
    async () => {
      const refused = await d.cli(['recreate', '-f', app]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.toLowerCase()).toContain('stop');
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);

      // Editing the source changes nothing until recreate: the daemon runs from its snapshot.
      writeFileSync(app, `${APP}  extra:\n    command: ["sleep", "1000"]\n`);
      expect((await d.ps(app)).map((s) => s.name)).not.toContain('extra');

      expect((await d.cli(['stop', '-f', app])).code).toBe(0);
      await waitStatus(app, 'web', 'stopped');
      const ok = await d.cli(['recreate', '-f', app], { env: { GREETING: 'bonjour' } });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect((await d.ps(app)).map((s) => s.name)).toContain('extra');
      expect(readFileSync(join(d.configStateDir(app), 'config.yaml'), 'utf8')).toContain('extra:');

      // The re-bake used the CLI's environment of the recreate call.
      expect((await d.cli(['start', '-d', '-f', app, 'web'])).code).toBe(0);
      const web = await waitStatus(app, 'web', 'running');
      expect(environOf(web.pid as number).GREETING).toBe('bonjour');
      expect((await d.cli(['stop', '-f', app])).code).toBe(0);
      await waitStatus(app, 'web', 'stopped');
    },
    2 * T,
  );
});

describe('state writes are atomic', () => {
  test(
    'state.json always parses while a service churns, and no temporary files are left',
    async () => {
      const churn = d.writeConfig(
        'services:\n  flap:\n    command: ["sh", "-c", "exit 1"]\n    restart: always\n',
        'churn/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', churn])).code).toBe(0);
      const path = join(d.configStateDir(churn), 'state.json');
      let reads = 0;
      let restarts = 0;
      const deadline = Date.now() + 40_000;
      // Read as fast as we can while the daemon rewrites the file on every transition.
      while (restarts < 5 && Date.now() < deadline) {
        const text = readFileSync(path, 'utf8');
        const st = JSON.parse(text) as PersistedState; // a torn write would throw here
        restarts = Number(st.services.flap?.restarts ?? 0);
        reads++;
        await new Promise((r) => setImmediate(r));
      }
      expect(restarts).toBeGreaterThanOrEqual(5);
      expect(reads).toBeGreaterThan(5);
      expect((await d.cli(['stop', '-f', churn])).code).toBe(0);
      // A write the stop scheduled may still be in flight (its temp file renamed a moment later):
      // "left" means still there once writes settle, so poll, with a deadline, for none.
      const tmpFiles = () => readdirSync(d.configStateDir(churn)).filter((f) => f.includes('.tmp'));
      const settleBy = Date.now() + 5_000;
      while (tmpFiles().length > 0 && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 20));
      expect(tmpFiles()).toEqual([]);
      const rootLeftovers = readdirSync(d.stateDir).filter((f) => f.includes('.tmp'));
      expect(rootLeftovers).toEqual([]);
    },
    2 * T,
  );
});

describe('a daemon restart reloads every config with its last states', () => {
  test(
    'after a graceful stop and after a crash',
    async () => {
      const cfg = d.writeConfig(
        [
          'services:',
          '  done:',
          '    command: ["sh", "-c", "exit 0"]',
          '  bad:',
          '    command: ["sh", "-c", "exit 7"]',
          '  idle:',
          '    command: ["sleep", "1000"]',
          '',
        ].join('\n'),
        'reload/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', cfg, 'done', 'bad'])).code).toBe(0);
      await waitStatus(cfg, 'done', 'exited');
      await waitStatus(cfg, 'bad', 'failed');

      const expectRestored = async () => {
        // `ps --all` names no config: what it lists was restored from the snapshots at start-up.
        const r = await d.cli(['ps', '--all', '--json']);
        expect(r.code).toBe(0);
        const rows = (JSON.parse(r.stdout) as Info[]).filter((s) => s.config === cfg);
        const by = Object.fromEntries(rows.map((s) => [s.name, s]));
        expect(by.done).toMatchObject({ status: 'exited', exit_code: 0 });
        expect(by.bad).toMatchObject({ status: 'failed', exit_code: 7 });
        expect(by.idle).toMatchObject({ status: 'stopped' });
        // The other configs of this file come back too.
        expect((JSON.parse(r.stdout) as Info[]).some((s) => s.config === app)).toBe(true);
        const status = await d.cli(['daemon', 'status', '--json']);
        const paths = (JSON.parse(status.stdout) as { configs: Array<{ path: string }> }).configs.map(
          (c) => c.path,
        );
        expect(paths).toEqual(expect.arrayContaining([cfg, app]));
      };

      await d.stop();
      await d.start();
      await expectRestored();

      await d.crash();
      await d.start();
      await expectRestored();
    },
    2 * T,
  );

  test(
    'a snapshot an earlier Kepler wrote as YAML is read (off the main thread) and kept running',
    async () => {
      const cfg = d.writeConfig(
        'services:\n  old:\n    command: ["sleep", "1000"]\n',
        'yamlsnap/kepler.yaml',
      );
      expect((await d.cli(['start', '-d', '-f', cfg])).code).toBe(0);
      const pid = (await waitStatus(cfg, 'old', 'running')).pid as number;
      const snapshot = join(d.configStateDir(cfg), 'expanded_config.yaml');
      writeFileSync(snapshot, stringifyYaml(JSON.parse(readFileSync(snapshot, 'utf8'))));
      expect(readFileSync(snapshot, 'utf8').startsWith('{')).toBe(false);
      await d.crash();
      await d.start();
      const r = await d.cli(['ps', '--all', '--json']);
      const old = (JSON.parse(r.stdout) as Info[]).find((s) => s.config === cfg && s.name === 'old');
      expect(old).toMatchObject({ status: 'running', pid });
      expect((await d.cli(['stop', '-f', cfg])).code).toBe(0);
    },
    2 * T,
  );
});

describe('prune', () => {
  test(
    '--dry-run lists, prune removes stopped and orphaned configs and reports the bytes freed',
    async () => {
      const p = new TestDaemon('kepler-e2e-prune');
      try {
        await p.start();
        const stopped = p.writeConfig(
          'services:\n  a:\n    command: ["sh", "-c", "exit 0"]\n',
          'stopped/kepler.yaml',
        );
        const orphan = p.writeConfig('services:\n  a:\n    command: ["true"]\n', 'orphan/kepler.yaml');
        const busy = p.writeConfig('services:\n  a:\n    command: ["sleep", "1000"]\n', 'busy/kepler.yaml');
        // Loaded without running anything (`ps` no longer loads a config: `stop` does).
        for (const c of [stopped, orphan]) expect((await p.cli(['stop', '-f', c])).code).toBe(0);
        expect((await p.cli(['start', '-d', '-f', busy])).code).toBe(0);
        const busyPid = await waitFor(async () => {
          const s = await p.service(busy, 'a');
          return s.status === 'running' ? (s.pid as number) : null;
        }, 'busy to run');
        rmSync(orphan);

        const dry = await p.cli(['prune', '--dry-run', '--json']);
        expect(dry.code).toBe(0);
        const plan = JSON.parse(dry.stdout) as {
          dry_run: boolean;
          freed_bytes: number;
          entries: Array<{ path: string; reason: string; removed: boolean; bytes: number }>;
        };
        expect(plan.dry_run).toBe(true);
        const byPath = Object.fromEntries(plan.entries.map((e) => [e.path, e]));
        expect(byPath[stopped]?.reason).toMatch(/stopped/);
        expect(byPath[orphan]?.reason).toMatch(/orphan/);
        expect(byPath[busy]?.reason).toMatch(/running/);
        for (const e of plan.entries) expect(e.removed).toBe(false);
        // What a real prune would free: the two removable entries.
        expect(plan.freed_bytes).toBe((byPath[stopped]?.bytes ?? 0) + (byPath[orphan]?.bytes ?? 0));
        expect(plan.freed_bytes).toBeGreaterThan(0);
        for (const c of [stopped, orphan, busy]) expect(existsSync(p.configStateDir(c))).toBe(true);
        const dryText = await p.cli(['prune', '--dry-run']);
        expect(dryText.stdout).toMatch(/Would free \d/);

        const real = await p.cli(['prune']);
        expect(real.code).toBe(0);
        expect(real.stdout).toMatch(/Total freed: [1-9]/);
        expect(existsSync(p.configStateDir(stopped))).toBe(false);
        expect(existsSync(p.configStateDir(orphan))).toBe(false);
        expect(existsSync(p.configStateDir(busy))).toBe(true);
        expect(alive(busyPid)).toBe(true);
        // A pruned config that is used again starts from a fresh state directory.
        expect((await p.cli(['stop', '-f', stopped])).code).toBe(0);
        expect(existsSync(join(p.configStateDir(stopped), 'state.json'))).toBe(true);
      } finally {
        await p.cleanup();
      }
    },
    2 * T,
  );
});
