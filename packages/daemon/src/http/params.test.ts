import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigRegistry } from '../config/ConfigRegistry.js';
import { configOf, Params } from './params.js';

let dir: string;
let config: string;
let registry: ConfigRegistry;

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'kepler-params-')));
  mkdirSync(join(dir, 'app'));
  config = join(dir, 'app', 'kepler.yaml');
  writeFileSync(config, 'services: {}\n');
  symlinkSync(join(dir, 'app'), join(dir, 'current'));
  const loaded = new Map([[config, { path: config }]]);
  registry = {
    find: (path: string) => loaded.get(path),
    list: () => [...loaded.values()],
  } as unknown as ConfigRegistry;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const configParam = (path: string) => configOf(new Params(new URLSearchParams({ config: path })), registry);

test('a loaded config named by another path to the same file is found under its canonical path', () => {
  for (const path of [
    config,
    join(dir, 'app', '..', 'app', 'kepler.yaml'),
    join(dir, 'current', 'kepler.yaml'),
    join(dir, 'app'),
  ]) {
    expect(configParam(path)).toEqual({ path: config, env: {} });
  }
});

test('a config that is not loaded is still CONFIG_NOT_LOADED, naming the path given', () => {
  expect(() => configParam(join(dir, 'nowhere.yaml'))).toThrow(`has not loaded ${join(dir, 'nowhere.yaml')}`);
});

test('a single-valued query parameter given twice says so', () => {
  const twice = new Params(
    new URLSearchParams([
      ['config', config],
      ['config', '/x.yaml'],
    ]),
  );
  expect(() => twice.string('config')).toThrow('config: given more than once: give one');
  expect(() => new Params(new URLSearchParams('tail=1&tail=2')).count('tail')).toThrow(
    'tail: given more than once: give one',
  );
  expect(new Params(new URLSearchParams('services=a&services=b')).strings('services')).toEqual(['a', 'b']);
  expect(() => new Params(new URLSearchParams(), { config: ['a'] }).string('config')).toThrow(
    'config: expected a non-empty string',
  );
});
