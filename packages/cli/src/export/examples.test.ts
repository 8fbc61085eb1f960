/**
 * Golden tests: every bundled example exported with a fixed environment, systemd version and
 * executable lookup, compared (checkout path normalised) with the stored output; and the units of
 * every example checked by `systemd-analyze verify`, which skips only where systemd-analyze is missing;
 * every Nomad job checked against the schema written from Nomad's job API.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BakedConfig, DEFAULT_LOG_SETTINGS, loadConfig } from '@kepler/config';
import { bakedConfig, bakedService, edgeOf, fakeLookup, hookOf, restartOf } from '../testkit/bakedConfig.js';
import { nomadJobProblems } from '../testkit/nomadJobCheck.js';
import { exportNomad } from './nomad/exportNomad.js';
import { findExecutable } from './resolveExecutable.js';
import { exportSystemd } from './systemd/exportSystemd.js';
import { detectSystemdVersion } from './systemd/systemdVersion.js';

const EXAMPLES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../examples');
const EXAMPLES = ['full', 'chain', 'lua'];
const ENV = { HOME: '/home/example', PATH: '/usr/local/bin:/usr/bin:/bin', USER: 'example', LANG: 'C.UTF-8' };

function bake(name: string): Promise<BakedConfig> {
  return loadConfig({ path: join(EXAMPLES_DIR, name, 'kepler.yaml'), env: ENV, onLuaPrint: () => {} });
}

const normalise = (text: string) => text.split(EXAMPLES_DIR).join('<examples>');

function systemdGolden(baked: BakedConfig, version: number): Record<string, string> {
  const out = exportSystemd(baked, {
    services: baked.serviceOrder,
    name: 'example',
    dir: '/etc/systemd/system',
    systemdVersion: version,
    lookup: fakeLookup,
  });
  const files = Object.fromEntries(
    out.files.map((f) => [`${f.name} (${f.mode.toString(8)})`, normalise(f.content)]),
  );
  return {
    ...files,
    warnings: normalise(out.warnings.map((w) => `${w.service}: ${w.key}: ${w.message}`).join('\n')),
  };
}

describe('export golden files', () => {
  for (const name of EXAMPLES) {
    it(`systemd: ${name}`, async () => {
      const baked = await bake(name);
      const first = systemdGolden(baked, 252);
      expect(first).toMatchSnapshot();
      expect(systemdGolden(await bake(name), 252)).toEqual(first); // same snapshot, same bytes
    });
  }

  for (const name of EXAMPLES) {
    for (const driver of ['raw_exec', 'exec'] as const) {
      it(`nomad (${driver}): ${name}, valid against the job schema`, async () => {
        const baked = await bake(name);
        const once = () =>
          exportNomad(baked, { services: baked.serviceOrder, job: name, driver, lookup: fakeLookup });
        const out = once();
        expect(nomadJobProblems(out.job)).toEqual([]);
        const text = normalise(JSON.stringify(out.job, null, 2));
        expect(JSON.stringify(once().job, null, 2)).toBe(JSON.stringify(out.job, null, 2)); // same bytes
        if (driver === 'raw_exec') {
          expect(text).toMatchSnapshot();
          expect(
            normalise(out.warnings.map((w) => `${w.service}: ${w.key}: ${w.message}`).join('\n')),
          ).toMatchSnapshot();
        } else {
          expect(text).toBe(
            normalise(
              JSON.stringify(
                exportNomad(baked, {
                  services: baked.serviceOrder,
                  job: name,
                  driver: 'raw_exec',
                  lookup: fakeLookup,
                }).job,
                null,
                2,
              ),
            ).replaceAll('"raw_exec"', '"exec"'),
          );
        }
      });
    }
  }

  it('systemd 254: RestartSteps= and RestartMaxDelaySec=', async () => {
    expect(systemdGolden(await bake('chain'), 254)).toMatchSnapshot();
  });
});

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

(hasAnalyze ? describe : describe.skip)('systemd-analyze verify', () => {
  const version = detectSystemdVersion() ?? 0;
  for (const name of EXAMPLES) {
    it(`accepts the units of ${name}, without a warning`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kepler-export-verify-'));
      try {
        const baked = await bake(name);
        const out = exportSystemd(baked, {
          services: baked.serviceOrder,
          name,
          dir,
          systemdVersion: version,
          lookup: findExecutable,
        });
        for (const file of out.files) writeFileSync(join(dir, file.name), file.content, { mode: file.mode });
        const units = out.files.filter((f) => !f.name.endsWith('.env')).map((f) => join(dir, f.name));
        const result = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8' });
        expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('accepts units that use every directive the export writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kepler-export-verify-'));
    try {
      const hook = (command: string[], user: string | null = null) =>
        hookOf(command, { user, workingDir: dir });
      const baked = bakedConfig([
        bakedService('setup', {
          command: ['sh', '-c', 'echo 100% $HOME; echo ";"'],
          type: 'oneshot',
          workingDir: dir,
        }),
        bakedService('side', { command: ['sleep', '1000'], workingDir: dir }),
        bakedService('main', {
          command: ['sleep', '1000'],
          workingDir: dir,
          type: 'forking',
          pidFile: join(dir, 'main.pid'),
          startTimeoutMs: 2500,
          stopCommand: ['kill', '-TERM', '1'],
          user: 'root',
          group: 'root',
          limits: { memoryBytes: 1 << 30, cpuTimeSec: 60, maxFds: 1024 },
          stopSignal: 'SIGINT',
          stopGracePeriodMs: 1500,
          restart: restartOf('always', { maxRetries: 5 }),
          logs: { ...DEFAULT_LOG_SETTINGS, store: { stdout: false, stderr: false } },
          dependsOn: {
            setup: edgeOf('service_completed_successfully'),
            side: edgeOf('service_started', { required: false }),
          },
          hooks: {
            pre_start: hook(['echo', 'pre']),
            post_start: hook(['echo', 'post']),
            pre_stop: hook(['echo', 'stopping']),
            post_stop: hook(['echo', 'stopped'], 'root'),
          },
        }),
      ]);
      const out = exportSystemd(baked, {
        services: baked.serviceOrder,
        name: 'every',
        dir,
        systemdVersion: detectSystemdVersion() ?? 0,
        lookup: findExecutable,
      });
      for (const file of out.files) writeFileSync(join(dir, file.name), file.content, { mode: file.mode });
      const units = out.files.filter((f) => !f.name.endsWith('.env')).map((f) => join(dir, f.name));
      const result = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8' });
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      const main = out.files.find((f) => f.name === 'every-main.service')?.content ?? '';
      for (const directive of [
        'Type=forking',
        'PIDFile=',
        'Wants=',
        'StartLimitBurst=',
        'LimitAS=',
        'ExecStartPre=',
        'ExecStop=',
        'ExecStopPost=+',
      ]) {
        expect(main).toContain(`\n${directive}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a unit whose command is missing (the check is real)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kepler-export-verify-'));
    try {
      const unit = join(dir, 'bad.service');
      writeFileSync(unit, '[Service]\nExecStart=/nonexistent/kepler-export-test\n');
      const result = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
      expect(result.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
