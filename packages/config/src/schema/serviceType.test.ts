/** `type`, `pid_file`, `start_timeout` and `stop_command`: baked forms, and bad input with its position. */
import { writeFileSync } from 'node:fs';
import { renderFileVocabulary } from '../fileVocabulary.js';
import { loadConfig } from '../loadConfig.js';
import { bakeYaml, cleanupTmpDirs, errorsOf, TEST_ENV } from '../testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

const y = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('service types', () => {
  it('bakes nothing for a simple service, so older snapshots keep their shape', async () => {
    const baked = await bakeYaml(y('services:', '  web:', '    command: [a]', '    type: simple'));
    const web = baked.services.web!;
    expect('type' in web || 'pidFile' in web || 'stopCommand' in web).toBe(false);
  });

  it('bakes a oneshot and makes it a dependency that must complete successfully by default', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  migrate:',
        '    command: [a]',
        '    type: oneshot',
        '  web:',
        '    command: [a]',
        '    depends_on: [migrate]',
        '  api:',
        '    command: [a]',
        '    depends_on: {migrate: {condition: service_started}}',
      ),
    );
    expect(baked.services.migrate?.type).toBe('oneshot');
    expect(baked.services.web?.dependsOn.migrate).toMatchObject({
      condition: 'service_completed_successfully',
      wait: true,
    });
    expect(baked.services.api?.dependsOn.migrate?.condition).toBe('service_started');
  });

  it('bakes a forking service: pid_file absolute from working_dir, start_timeout defaulted', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  redis:',
        '    command: [a]',
        '    working_dir: /srv',
        '    type: forking',
        '    pid_file: run/$NAME.pid',
        '    environment: {NAME: redis}',
        '  other:',
        '    command: [a]',
        '    type: forking',
        '    pid_file: /run/o.pid',
        '    start_timeout: 2s',
      ),
    );
    expect(baked.services.redis).toMatchObject({
      type: 'forking',
      pidFile: '/srv/run/redis.pid',
      startTimeoutMs: 30_000,
    });
    expect(baked.services.other?.startTimeoutMs).toBe(2000);
  });

  it('bakes stop_command from a list or an sh -c string', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  a:',
        '    command: [a]',
        '    stop_command: [ctl, stop]',
        '  b:',
        '    command: [a]',
        '    stop_command: ctl stop && echo "$HOME"',
      ),
    );
    expect(baked.services.a?.stopCommand).toEqual(['ctl', 'stop']);
    expect(baked.services.b?.stopCommand).toEqual(['sh', '-c', 'ctl stop && echo "$HOME"']);
  });

  it('kepler config prints the keys in the file vocabulary, and that bakes back to the same snapshot', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  migrate: { command: [a], type: oneshot }',
        '  db:',
        '    command: [a]',
        '    type: forking',
        '    pid_file: db.pid',
        '    start_timeout: 5s',
        '    stop_command: ctl stop',
        '    depends_on: [migrate]',
      ),
    );
    const text = renderFileVocabulary(baked, 'yaml');
    expect(text).toContain('type: forking');
    expect(text).toContain('start_timeout: 5s');
    expect(text).toContain('stop_command: [sh, -c, ctl stop]');
    writeFileSync(baked.sourcePath, text);
    const again = await loadConfig({ path: baked.sourcePath, env: TEST_ENV, now: new Date(baked.bakedAt) });
    expect(again.services).toEqual(baked.services);
    expect(again.hash).toBe(baked.hash);
  });

  it('refuses pid_file on a simple service, forking without pid_file, and an unknown type', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: [a]',
      '    pid_file: /run/a.pid',
      '  b:',
      '    command: [a]',
      '    type: forking',
      '  c:',
      '    command: [a]',
      '    type: forkin',
      '  d:',
      '    command: [a]',
      '    type: oneshot',
      '    start_timeout: 5s',
      '  e:',
      '    command: [a]',
      '    stop_command: []',
      '  f:',
      '    command: [a]',
      '    stop_command: {run: x}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:4:15 services.a.pid_file: pid_file applies only to type: forking (type is simple)',
      'kepler.yaml:7:11 services.b.type: type: forking needs pid_file (the file where the daemonised process writes its pid)',
      'kepler.yaml:10:11 services.c.type: "forkin" is not one of simple, oneshot, forking (did you mean "forking"?)',
      'kepler.yaml:14:20 services.d.start_timeout: start_timeout applies only to type: forking (type is oneshot)',
      expect.stringMatching(/^kepler\.yaml:17:19 services\.e\.stop_command/),
      expect.stringMatching(/^kepler\.yaml:20:19 services\.f\.stop_command: .*a list or a string/),
    ]);
  });
});
