/**
 * Golden tests: bake every bundled example with a fixed environment and compare the snapshot (with the
 * checkout's absolute path and the path-dependent hash normalised) to the stored one.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './loadConfig.js';
import { renderBakedConfig } from './render.js';
import type { BakedConfig } from './types.js';

const EXAMPLES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');
const ENV = { HOME: '/home/example', PATH: '/usr/local/bin:/usr/bin:/bin', USER: 'example', LANG: 'C.UTF-8' };

async function golden(name: string, env: Record<string, string> = ENV): Promise<unknown> {
  const baked = await loadConfig({
    path: join(EXAMPLES_DIR, name, 'kepler.yaml'),
    env,
    now: new Date('2030-01-01T00:00:00Z'),
    onLuaPrint: () => {},
  });
  return normalise(baked);
}

function normalise(baked: BakedConfig): unknown {
  const text = renderBakedConfig(baked, 'json').split(EXAMPLES_DIR).join('<examples>');
  return { ...JSON.parse(text), hash: '<sha256>' };
}

describe('examples', () => {
  it('full: the seed Full Example, adapted', async () => {
    expect(await golden('full')).toMatchSnapshot();
  });

  it('lua: Lua blocks, !lua, !lua_file and require', async () => {
    expect(await golden('lua')).toMatchSnapshot();
  });

  it('lua: reacts to the captured environment', async () => {
    const baked = (await golden('lua', {
      ...ENV,
      EXAMPLE_BASE_PORT: '19000',
      DEBUG: '1',
      CI: '1',
      TICK: '9',
    })) as BakedConfig;
    expect(baked.services.web?.command).toContain('19000');
    expect(baked.services.web?.environment).toEqual({ PORT: '19000', ROLE: 'web', DEBUG: 'true' });
    expect(baked.services.api?.healthcheck?.probe).toEqual({ kind: 'http', url: 'http://127.0.0.1:19001/' });
    expect(baked.services.worker?.environment).toEqual({ TICK: '5' });
    expect(baked.services.worker?.restart.policy).toBe('no');
  });

  it('chain: migration -> db -> api -> worker', async () => {
    const baked = (await golden('chain')) as BakedConfig;
    expect(
      Object.entries(baked.services).map(([name, s]) => [
        name,
        Object.entries(s.dependsOn).map(([d, e]) => `${d}:${e.condition}`),
      ]),
    ).toEqual([
      ['migrate', []],
      ['db', ['migrate:service_completed_successfully']],
      ['api', ['db:service_healthy']],
      ['worker', ['api:service_healthy']],
    ]);
    expect(baked).toMatchSnapshot();
  });

  it('bakes to the same hash twice (a snapshot is reproducible)', async () => {
    for (const name of ['full', 'lua', 'chain']) {
      const path = join(EXAMPLES_DIR, name, 'kepler.yaml');
      const one = await loadConfig({ path, env: ENV, onLuaPrint: () => {} });
      const two = await loadConfig({ path, env: ENV, onLuaPrint: () => {} });
      expect(two.hash).toBe(one.hash);
    }
  });
});
