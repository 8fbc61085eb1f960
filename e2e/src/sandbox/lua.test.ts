/**
 * The Lua sandbox and the daemon's robustness, through the real daemon (which bakes configs): a config
 * that tries io, os.execute, require of a file outside its directory (relative, absolute, through a
 * symlink), an endless loop, or a huge allocation fails to load with a clear error (CLI exit 1), runs
 * nothing, and the daemon keeps serving other configs. The daemon is root: nothing the sandbox lets
 * through would be harmless. So does a config or env_file that is a FIFO or a device (a blocking or
 * endless read would hang or exhaust the daemon).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon } from '../testkit.js';

/** Generous: two cores shared with other suites. */
const T = 90_000;

const d = new TestDaemon('kepler-e2e-sandbox');
let good: string;
let outside: string;
let marker: string;

beforeAll(async () => {
  await d.start();
  good = d.writeConfig('services:\n  ok:\n    command: ["sleep", "600"]\n', 'good/kepler.yaml');
  expect((await d.cli(['start', '-d', '--wait', '--timeout', '30s', '-f', good])).code).toBe(0);
  // A Lua module outside every config directory used below (they live in cases/<name>/).
  outside = join(d.workDir, 'outside.lua');
  marker = join(d.workDir, 'escaped');
  writeFileSync(outside, `return { value = "outside" }\n`);
}, T);

afterAll(() => d.cleanup(), T);

/** Writes cases/<name>/kepler.yaml whose `lua:` block is `lua` and whose service would touch the marker. */
function luaConfig(name: string, lua: string, extra: (dir: string) => void = () => undefined): string {
  const dir = join(d.workDir, 'cases', name);
  mkdirSync(dir, { recursive: true });
  extra(dir);
  const body = lua
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return d.writeConfig(
    `lua: |\n${body}\nservices:\n  svc:\n    command: ["touch", "${marker}-${name}"]\n`,
    `cases/${name}/kepler.yaml`,
  );
}

async function expectServing(): Promise<void> {
  const ps = await d.ps(good);
  expect(ps.map((s) => [s.name, s.status])).toEqual([['ok', 'running']]);
  expect(d.proc?.exitCode).toBeNull();
}

const cases: Array<[string, string, RegExp, ((dir: string) => void)?]> = [
  // Messages are Luau's own: io does not exist, os keeps only its clock functions.
  [
    'io',
    'local f = io.open("/etc/shadow", "r")',
    /kepler\.yaml:2 lua: Lua error: attempt to index nil with 'open'/,
  ],
  ['os_execute', 'os.execute("touch MARKER")', /kepler\.yaml:2 lua: Lua error: attempt to call a nil value/],
  ['os_exit', 'os.exit(1)', /kepler\.yaml:2 lua: Lua error: attempt to call a nil value/],
  ['require_parent', 'local m = require("../outside")', /require\("\.\.\/outside"\): "\.\." is not allowed/],
  [
    'require_absolute',
    'local m = require("OUTSIDE")',
    /absolute paths are not allowed \(Lua files must be in the config directory\)/,
  ],
  [
    'require_symlink',
    'local m = require("link")',
    /require\("link"\): link\.lua leads outside the config directory/,
    (dir) => symlinkSync(outside, join(dir, 'link.lua')), // `outside` is set by the time a test runs
  ],
  ['loadstring', 'local f = loadstring("return 1")', /Lua error: attempt to call a nil value/],
  [
    'endless_loop',
    'while true do end',
    /lua: Lua did not finish within [\d.]+ s \(an endless loop\?\); evaluation was stopped/,
  ],
  [
    'huge_allocation',
    'local t = {}\nfor i = 1, 1e9 do t[i] = string.rep("x", 4096) .. i end',
    /lua: Lua ran out of memory .*evaluation was stopped/,
  ],
];

describe.each(cases)('a config whose Lua tries %s', (name, lua, message, extra) => {
  test(
    'fails to load with a clear error, runs nothing, and the daemon keeps serving',
    async () => {
      const config = luaConfig(
        name,
        lua.replace('MARKER', `${marker}-lua-${name}`).replace('OUTSIDE', outside),
        extra,
      );
      const r = await d.cli(['start', '-d', '-f', config]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // a user's mistake: no stack trace
      expect(r.stderr).not.toMatch(/internal error/i);
      expect(existsSync(`${marker}-${name}`)).toBe(false);
      expect(existsSync(`${marker}-lua-${name}`)).toBe(false);
      await expectServing();
    },
    T,
  );
});

test(
  'a bad config in the daemon does not stop the next good one from loading',
  async () => {
    const again = d.writeConfig('services:\n  later:\n    command: ["sleep", "600"]\n', 'later/kepler.yaml');
    expect((await d.cli(['start', '-d', '--wait', '--timeout', '30s', '-f', again])).code).toBe(0);
    expect((await d.service(again, 'later')).status).toBe('running');
    await expectServing();
  },
  T,
);

describe('files that are not regular files', () => {
  test.each([
    ['an env_file that is a FIFO nobody writes', 'fifo-env', 'env_file: env.fifo', 'env.fifo'],
    ['an env_file that is /dev/zero', 'zero-env', 'env_file: /dev/zero', null],
  ])(
    '%s fails to load at once, and the daemon keeps serving',
    async (_what, name, line, fifo) => {
      const dir = join(d.workDir, 'special', name);
      mkdirSync(dir, { recursive: true });
      if (fifo) execFileSync('mkfifo', [join(dir, fifo)]);
      const config = join(dir, 'kepler.yaml');
      writeFileSync(config, `services:\n  app:\n    command: ["true"]\n    ${line}\n`);
      const r = await d.cli(['start', '-d', '-f', config], { timeoutMs: 20_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('not a regular file');
      await expectServing();
    },
    T,
  );

  test(
    'a config path that is a FIFO or a device is refused, and the daemon keeps serving',
    async () => {
      const dir = join(d.workDir, 'special', 'fifo-config');
      mkdirSync(dir, { recursive: true });
      execFileSync('mkfifo', [join(dir, 'kepler.yaml')]);
      for (const config of [join(dir, 'kepler.yaml'), '/dev/zero']) {
        const r = await d.cli(['start', '-d', '-f', config], { timeoutMs: 20_000 });
        expect([config, r.code]).toEqual([config, 1]);
        expect(r.stderr).toContain(`cannot read ${config}: not a regular file`);
        await expectServing();
      }
    },
    T,
  );
});
