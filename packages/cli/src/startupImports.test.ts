/**
 * What the built `kepler` loads per command: calls that do not bake must not load the config pipeline
 * (the YAML parser, Lua, the schema), which costs every call its load time. Runs dist/main.js (build
 * first) under a module loader hook that lists every module loaded, and maps bundle chunks back to
 * their sources with the bundler's metafile.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useScratchDir } from './testkit/scratchDir.js';

const CLI_DIR = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(CLI_DIR, 'dist/main.js');
const METAFILE = join(CLI_DIR, 'dist/bundle-meta.json');

/** A loader hook (Node's module.register) appending each loaded module's URL to $KEPLER_TEST_MODULE_LOG. */
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.KEPLER_TEST_MODULE_LOG, url + '\\n');
  return next(url, context);
}
`;
const REGISTER = `import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
`;

/** Modules of @kepler/config its light entries (`/files`, `/grammar`) load: anything else is the pipeline. */
const LIGHT_CONFIG_MODULES = new Set([
  'files',
  'grammar',
  'envFileSyntax',
  'types',
  'readUserFile',
  'resolveConfigPath',
  'errors',
  'issues',
]);

const scratch = useScratchDir('kepler-cli-imports-');

/** The sources `kepler ARGS` loads (bundle chunks replaced by the files they hold), with no daemon running. */
function sourcesLoadedBy(args: readonly string[]): string[] {
  const register = scratch.file('register.mjs', REGISTER);
  scratch.file('hooks.mjs', HOOKS);
  scratch.file('kepler.yaml', 'services:\n  web:\n    command: ["sleep", "1"]\n');
  const log = join(scratch.path, 'modules.log');
  const result = spawnSync(process.execPath, ['--import', register, MAIN, ...args], {
    cwd: scratch.path,
    env: {
      PATH: process.env.PATH,
      KEPLER_DAEMON_PATH: join(scratch.path, 'no-daemon'),
      KEPLER_NO_AUTOSTART: '1',
      KEPLER_TEST_MODULE_LOG: log,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.error).toBeUndefined();
  const outputs = (
    JSON.parse(readFileSync(METAFILE, 'utf8')) as { outputs: Record<string, { inputs: object }> }
  ).outputs;
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .flatMap((url) => {
      if (!url.startsWith('file:')) return [url];
      const path = fileURLToPath(url);
      const chunk = path.startsWith(CLI_DIR) ? outputs[path.slice(CLI_DIR.length)] : undefined;
      return chunk === undefined ? [path] : Object.keys(chunk.inputs);
    });
}

/** The loaded sources that belong to the config pipeline or its YAML and Lua dependencies. */
function pipelineModules(sources: readonly string[]): string[] {
  return sources.filter((s) => {
    if (/[\\/]node_modules[\\/].*[\\/](yaml|luau-web)[\\/]/.test(s)) return true;
    const config = /packages[\\/]config[\\/](?:dist|src)[\\/](.+)\.[jt]s$/.exec(s);
    return config !== null && !LIGHT_CONFIG_MODULES.has(config[1] as string);
  });
}

beforeAll(() => {
  if (!existsSync(MAIN) || !existsSync(METAFILE))
    throw new Error(`build the CLI first (pnpm run build): no ${MAIN}`);
});

describe('commands that do not bake load no YAML, Lua or config pipeline', () => {
  it.each([
    [['--version']],
    [['ps']],
    [['ps', '--all', '--json']],
    [['status', '-a']],
    [['completion', 'bash']],
    [['logs', '--tail', '5']],
    [['stop', '-s', 'KILL']],
    [['start', '-d', '--wait', '--timeout', '5s']],
    [['daemon', 'status']],
    [['run', '-d', '--env-file', '/dev/null', '--', 'true']],
    [['rm', 'web']],
    [['inspect', 'web']],
    [['top', '--json']],
    [['down']],
    [['up', '-d']],
    [['dashboard', '--no-open']],
    [['daemon', 'stop']],
  ])('kepler %j', (args) => {
    const sources = sourcesLoadedBy(args);
    expect(sources.length).toBeGreaterThan(0);
    expect(pipelineModules(sources)).toEqual([]);
  });

  it('kepler --version loads neither clipanion nor the protocol', () => {
    const sources = sourcesLoadedBy(['--version']);
    expect(sources.filter((s) => /clipanion|msgpackr|packages[\\/]protocol/.test(s))).toEqual([]);
  });

  it('kepler config does load the pipeline (the check above sees it)', () => {
    const loaded = pipelineModules(sourcesLoadedBy(['config']));
    expect(loaded.some((s) => /[\\/]yaml[\\/]/.test(s))).toBe(true);
    expect(loaded.some((s) => /packages[\\/]config[\\/]dist[\\/]loadConfig\.js$/.test(s))).toBe(true);
  });
});
