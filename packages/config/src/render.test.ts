import { parse } from 'yaml';
import { ConfigError } from './errors.js';
import { renderBakedConfig } from './render.js';
import { bakeYaml, cleanupTmpDirs, TEST_ENV } from './testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

const yaml =
  'services:\n  web:\n    command: ["sleep", "60"]\n    restart: "no"\n    environment: ["A=yes", "B=0755", "C=null"]\n';

describe('renderBakedConfig', () => {
  it('renders JSON and YAML that parse back to the same snapshot', async () => {
    const baked = await bakeYaml(yaml);
    const json = renderBakedConfig(baked, 'json');
    expect(json.endsWith('\n')).toBe(true);
    expect(JSON.parse(json)).toEqual(baked);
    const text = renderBakedConfig(baked, 'yaml');
    expect(parse(text)).toEqual(JSON.parse(json));
    expect(parse(text, { version: '1.1' })).toEqual(JSON.parse(json));
    expect(text).toContain('restart:\n      policy: "no"');
  });

  it('keeps both fields of a run hook: the snapshot is read back as a BakedConfig', async () => {
    const baked = await bakeYaml(
      'services:\n  web:\n    command: ["sleep", "60"]\n    hooks:\n      pre_start: { run: echo web-start }\n',
    );
    const hook = JSON.parse(renderBakedConfig(baked, 'json')).services.web.hooks.pre_start;
    expect(hook.command).toEqual(['sh', '-c', 'echo web-start']);
    expect(hook.run).toBe('echo web-start');
  });
});

describe('ConfigError', () => {
  it('lists every issue in its message and keeps a stable code', async () => {
    let caught: unknown;
    try {
      await bakeYaml('services:\n  web:\n    command: []\n    restart: sometimes\n');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues).toHaveLength(2);
    expect(error.message.split('\n')[0]).toBe('invalid config: 2 problems');
    expect(error.message).toContain('kepler.yaml:3:14 services.web.command: command is empty');
    expect(error.message).toContain(
      'kepler.yaml:4:14 services.web.restart: "sometimes" is not one of no, always, on-failure',
    );
    expect(Object.isFrozen(error.issues)).toBe(true);
  });
});

it('uses the environment it is given, not the process environment', async () => {
  const baked = await bakeYaml('services:\n  a:\n    command: [x]\n    sys_env: inherit\n', {
    env: { ONLY: '1' },
  });
  expect(baked.services.a?.environment).toEqual({ ONLY: '1' });
  expect(baked.capturedEnv).toEqual({ ONLY: '1' });
  expect(TEST_ENV).not.toHaveProperty('ONLY');
});
