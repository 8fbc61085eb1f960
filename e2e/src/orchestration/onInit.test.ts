/**
 * When `on_init` runs again, as the README states it (issue 10, defect 9): once per config (global)
 * and per service, remembered in the state directory; again after a run that failed, and after
 * `stop --clean` removed the state directory; never because of a restart or a stop.
 */
import { jest } from '@jest/globals';
import { TestDaemon } from '../testkit.js';
import { Scenario } from './helpers.js';

jest.setTimeout(90_000);

const d = new TestDaemon('kepler-e2e-oninit-rules');
beforeAll(() => d.start());
afterAll(() => d.cleanup());

test('on_init runs again after it failed and after stop --clean, not after a restart or a stop', async () => {
  const s = new Scenario(
    d,
    'rules',
    `
kepler:
  hooks:
    on_init:
      run: "echo global.on_init >> $REC"
services:
  app:
    command: ["sleep", "300"]
    hooks:
      on_init:
        run: "echo app.on_init >> $REC; test -e $DIR/init-ok"
`,
  );
  const inits = () => s.lines().filter((l) => l.endsWith('.on_init'));

  // app's on_init fails (no init-ok yet): the service fails, nothing is remembered for it.
  expect((await s.cli(['start', '-d', '--wait'])).code).toBe(1);
  expect(inits()).toEqual(['global.on_init', 'app.on_init']);

  // The next start runs app's on_init again; the global one had succeeded and does not.
  s.write('init-ok');
  await s.ok(['start', '-d', '--wait']);
  expect(inits()).toEqual(['global.on_init', 'app.on_init', 'app.on_init']);

  // Neither a restart nor a stop and start runs it.
  await s.ok(['restart', '-d', '--wait']);
  await s.ok(['stop']);
  await s.ok(['start', '-d', '--wait']);
  expect(inits()).toHaveLength(3);

  // stop --clean forgets the config's state: both run again on the next start.
  await s.ok(['stop', '--clean']);
  await s.ok(['start', '-d', '--wait']);
  expect(inits()).toEqual(['global.on_init', 'app.on_init', 'app.on_init', 'global.on_init', 'app.on_init']);
  await s.ok(['stop', '--clean']);
});
