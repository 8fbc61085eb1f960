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

  it('can leave out the captured environment', async () => {
    const baked = await bakeYaml(yaml);
    const data = JSON.parse(renderBakedConfig(baked, 'json', { capturedEnv: false }));
    expect(data.capturedEnv).toBeUndefined();
    expect(data.hash).toBe(baked.hash);
    expect(renderBakedConfig(baked, 'yaml', { capturedEnv: false })).not.toContain(TEST_ENV.HOME);
  });

  it('shows each hook as written with hooksAsWritten: run or command, not both', async () => {
    const baked = await bakeYaml(
      `kepler:
  hooks:
    pre_start: { run: echo global-start }
services:
  web:
    command: ["sleep", "60"]
    hooks:
      pre_start: { run: echo web-start }
      post_stop: { command: ["echo", "web-stopped"] }
`,
    );
    const data = JSON.parse(renderBakedConfig(baked, 'json', { hooksAsWritten: true }));
    expect(data.kepler.hooks.pre_start.run).toBe('echo global-start');
    expect(data.kepler.hooks.pre_start).not.toHaveProperty('command');
    expect(data.services.web.hooks.pre_start.run).toBe('echo web-start');
    expect(data.services.web.hooks.pre_start).not.toHaveProperty('command');
    expect(data.services.web.hooks.post_stop.command).toEqual(['echo', 'web-stopped']);
    expect(data.services.web.hooks.post_stop).not.toHaveProperty('run');
    const text = renderBakedConfig(baked, 'yaml', { hooksAsWritten: true });
    expect(text.match(/echo web-start/g)).toHaveLength(1);
    // The snapshot itself keeps both fields (it is read back as a BakedConfig).
    expect(JSON.parse(renderBakedConfig(baked, 'json')).services.web.hooks.pre_start.command).toEqual([
      'sh',
      '-c',
      'echo web-start',
    ]);
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
