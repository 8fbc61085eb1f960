/**
 * `kepler completion`: each script is loaded in its shell and asked for completions. bash through
 * COMP_WORDS/COMP_CWORD, fish through `complete -C`, zsh with its completion builtins replaced by
 * functions that print what they are given (zsh completes only inside the line editor). A shell that
 * is not installed is skipped.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG_NAMES } from '@kepler/config/files';
import { buildCli } from '../cli.js';
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import { completionModel } from '../completion/model.js';
import { zshScript } from '../completion/zsh.js';
import { run } from '../testkit/fakeDaemon.js';
import { useScratchDir } from '../testkit/scratchDir.js';

const scratch = useScratchDir('kepler-cli-completion-');

const has = (shell: string) => spawnSync(shell, ['-c', 'true']).status === 0;
const CONFIG = `services:
  web:
    command: ["sleep", "1"]
  db-main:
    command: ["sleep", "1"]
    depends_on: [web]
kepler:
  logs: {}
`;

/** The script for `shell`, written to the scratch directory, and a directory for a fake `kepler`. */
async function setUp(shell: string): Promise<{ script: string; bin: string }> {
  const result = await run(['completion', shell]);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const script = scratch.file(`kepler.${shell}`, result.stdout);
  scratch.file('kepler.yaml', CONFIG);
  const bin = join(scratch.path, 'bin');
  mkdirSync(bin);
  return { script, bin };
}

/**
 * Puts a `kepler` on PATH whose `config --services` prints `names` (and records its arguments), or
 * fails as a CLI without that flag does when `names` is null; its `rm --list` prints `runNames`.
 */
function fakeKepler(bin: string, names: string[] | null, runNames: string[] = []): void {
  const path = join(bin, 'kepler');
  const rmList = `[ "$1 $2" = "rm --list" ] && printf '%s\\n' ${runNames.join(' ')} && exit 0\n`;
  scratch.file(
    'bin/kepler',
    names === null
      ? `#!/bin/sh\n${rmList}echo "Unknown option --services" >&2\nexit 1\n`
      : `#!/bin/sh\necho "$@" > "${scratch.path}/args"\n${rmList}[ "$1 $2" = "config --services" ] && printf '%s\\n' ${names.join(' ')}\n`,
  );
  chmodSync(path, 0o755);
}

function shell(cmd: string, args: string[], bin: string): string {
  const r = spawnSync(cmd, args, {
    cwd: scratch.path,
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: scratch.path },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** Completions bash offers for each line (the last word is the one being completed). */
function bash(script: string, bin: string, lines: string[][]): string[] {
  const calls = lines.map(
    (words) =>
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kepler; echo "\${COMPREPLY[*]}"`,
  );
  return shell('bash', ['--norc', '-c', [`source '${script}'`, ...calls].join('\n')], bin)
    .split('\n')
    .slice(0, -1);
}

describe('kepler completion bash', () => {
  it('registers _kepler and completes commands, flags, files, signals and service names', async () => {
    const { script, bin } = await setUp('bash');
    fakeKepler(bin, null);
    expect(shell('bash', ['--norc', '-c', `source '${script}'; complete -p kepler`], bin)).toBe(
      'complete -F _kepler kepler\n',
    );
    const [top, ...rest] = bash(script, bin, [
      ['kepler', ''],
      ['kepler', 'st'],
      ['kepler', '-'],
      ['kepler', 'logs', '--s'],
      ['kepler', 'logs', '-'],
      ['kepler', 'logs', ''],
      ['kepler', '-f', 'kepler.yaml', 'logs', '-n', '5', 'w'],
      ['kepler', 'daemon', ''],
      ['kepler', 'daemon', 'start', ''],
      ['kepler', 'completion', ''],
      ['kepler', 'stop', '-s', 'SIGK'],
      ['kepler', 'ps', '-f', 'kepler.y'],
      ['kepler', 'status', '-'],
    ]);
    // Every command, the multi-word ones by their first word (other commands may join them).
    expect(top?.split(' ')).toEqual(
      expect.arrayContaining([
        'start',
        'stop',
        'ps',
        'status',
        'logs',
        'config',
        'completion',
        'daemon',
        'help',
      ]),
    );
    expect(top?.split(' ')).not.toContain('--help');
    expect(rest).toEqual([
      'start stop status',
      '-v --verbose -f --file -h --help --version',
      '--since',
      '-v --verbose -f --file --follow --head -n --tail --since --until --no-hook --json --raw --timestamps -h --help',
      // `kepler config --services` failed: the keys under `services:` of ./kepler.yaml.
      'web db-main',
      'web',
      'start stop restart status',
      '',
      'bash zsh fish',
      'SIGKILL',
      'kepler.yaml',
      '-v --verbose -f --file -a --all --json -h --help',
    ]);
  });

  it('offers the newer commands, export targets, and service names after inspect and export', async () => {
    const { script, bin } = await setUp('bash');
    fakeKepler(bin, null);
    const [top, ...rest] = bash(script, bin, [
      ['kepler', ''],
      ['kepler', 'export', ''],
      ['kepler', 'inspect', ''],
      ['kepler', 'export', 'nomad', 'w'],
      ['kepler', 'daemon', 'start', '--h'],
    ]);
    expect(top?.split(' ')).toEqual(
      expect.arrayContaining(['run', 'rm', 'top', 'inspect', 'export', 'dashboard']),
    );
    expect(rest).toEqual(['systemd nomad', 'web db-main', 'web', '--http --http-public --help']);
  });

  it('asks `kepler config --services -f FILE` for the names first', async () => {
    const { script, bin } = await setUp('bash');
    fakeKepler(bin, ['api', 'worker']);
    expect(bash(script, bin, [['kepler', '-f', 'other.yaml', 'start', '']])).toEqual(['api worker']);
    expect(shell('cat', ['args'], bin)).toBe('config --services -f other.yaml\n');
    expect(bash(script, bin, [['kepler', 'start', 'w']])).toEqual(['worker']);
    expect(shell('cat', ['args'], bin)).toBe('config --services\n');
  });

  it('reads the names with the built `kepler config --services` (a flow mapping awk cannot read)', async () => {
    const { script, bin } = await setUp('bash');
    const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
    if (!existsSync(main)) throw new Error(`build the CLI first (pnpm run build): no ${main}`);
    scratch.file('bin/kepler', `#!/bin/sh\nexec "${process.execPath}" "${main}" "$@"\n`);
    chmodSync(join(bin, 'kepler'), 0o755);
    scratch.file('flow.yaml', 'services: {alpha: {command: [sleep, "1"]}, beta: {command: [sleep, "1"]}}\n');
    expect(bash(script, bin, [['kepler', 'stop', '-f', 'flow.yaml', '']])).toEqual(['alpha beta']);
  });

  it("completes `kepler rm` with the caller's `kepler run` services, not the config's", async () => {
    const { script, bin } = await setUp('bash');
    fakeKepler(bin, null, ['nap', 'sleep-2']);
    expect(
      bash(script, bin, [
        ['kepler', 'rm', ''],
        ['kepler', 'rm', 's'],
        ['kepler', 'rm', 'nap', ''],
        ['kepler', 'stop', ''],
      ]),
    ).toEqual(['nap sleep-2', 'sleep-2', 'nap sleep-2', 'web db-main']);
  });

  it('refuses a shell it has no script for', async () => {
    expect(await run(['completion', 'tcsh'])).toMatchObject({
      code: 1,
      stderr: 'completion: "tcsh" is not a shell: use bash, zsh, fish\n',
    });
  });
});

(has('zsh') ? describe : describe.skip)('kepler completion zsh', () => {
  it('completes the same words, with descriptions', async () => {
    const { script, bin } = await setUp('zsh');
    fakeKepler(bin, null, ['nap', 'sleep-2']);
    const stubs = `_describe() { print -r -- "\${(j: :)\${(@P)\${@[-1]}}}"; }
compadd() { [[ $1 == -- ]] && shift; print -r -- "$*"; }
_files() { print -r -- FILES; }
compdef() { print -r -- "compdef $*"; }
c() { words=("$@"); CURRENT=\${#words}; _kepler; }`;
    const out = shell(
      'zsh',
      [
        '-f',
        '-c',
        `${stubs}
source '${script}'
c kepler st
c kepler -f kepler.yaml logs ''
c kepler daemon ''
c kepler ps -f ''
c kepler stop -s ''
c kepler completion ''
c kepler rm ''`,
      ],
      bin,
    );
    const lines = out.split('\n');
    expect(lines[0]).toBe('compdef _kepler kepler');
    expect(lines[1]).toContain('start:Start services');
    expect(lines[1]).toContain('status:List services and their states (the same as ps)');
    expect(lines.slice(2)).toEqual([
      'web db-main',
      'start:Start the Kepler daemon (root for the system daemon) stop:Stop the daemon (stops all services first) restart:Restart the daemon (root for the system daemon) status:Show daemon info and loaded configs',
      'FILES',
      'SIGTERM SIGINT SIGKILL SIGHUP SIGQUIT SIGUSR1 SIGUSR2',
      'bash zsh fish',
      'nap sleep-2',
      '',
    ]);
  });
});

(has('fish') ? describe : describe.skip)('kepler completion fish', () => {
  it('completes commands, flags and service names through `complete -C`', async () => {
    const { script, bin } = await setUp('fish');
    fakeKepler(bin, null, ['nap', 'sleep-2']);
    const lines = [
      'kepler st',
      'kepler logs --s',
      'kepler -f kepler.yaml logs ',
      'kepler completion ',
      'kepler rm ',
    ];
    const out = shell(
      'fish',
      [
        '--no-config',
        '-c',
        `source '${script}'\n${lines.map((l) => `complete -C'${l}' | string join ,`).join('\n')}`,
      ],
      bin,
    );
    expect(out.split('\n')).toEqual([
      'start\tStart services (all, or the named ones and what they depend on),status\tList services and their states (the same as ps),stop\tStop services',
      '--since\tOnly lines since a time: a duration ago (10m) or a timestamp (2026-01-02T13:23:37Z)',
      'db-main,web',
      'bash,fish,zsh',
      'nap,sleep-2',
      '',
    ]);
  });
});

describe('the config file names', () => {
  it("are the CLI's own list, which every script looks for in a directory given with -f", async () => {
    const model = completionModel(buildCli().definitions());
    expect(model.configNames).toEqual(DEFAULT_CONFIG_NAMES);
    // A list of other names: each script finds the file by it, so none keeps a list of its own.
    const renamed = { ...model, configNames: ['stack.yaml', 'other.yml'] };
    const { bin } = await setUp('bash');
    fakeKepler(bin, null);
    mkdirSync(join(scratch.path, 'dir'));
    scratch.file('dir/other.yml', 'services:\n  alpha:\n    command: ["true"]\n');
    const bashFile = scratch.file('renamed.bash', bashScript(renamed));
    expect(bash(bashFile, bin, [['kepler', '-f', 'dir', 'start', '']])).toEqual(['alpha']);
    if (has('zsh')) {
      const zshFile = scratch.file('renamed.zsh', zshScript(renamed));
      const stubs = 'compadd() { [[ $1 == -- ]] && shift; print -r -- "$*"; }\ncompdef() { true; }';
      const c = "words=(kepler -f dir start ''); CURRENT=5; _kepler";
      expect(shell('zsh', ['-f', '-c', `${stubs}\nsource '${zshFile}'\n${c}`], bin)).toBe('alpha\n');
    }
    if (has('fish')) {
      const fishFile = scratch.file('renamed.fish', fishScript(renamed));
      const out = shell(
        'fish',
        ['--no-config', '-c', `source '${fishFile}'\ncomplete -C'kepler -f dir start '`],
        bin,
      );
      expect(out).toBe('alpha\n');
    }
  });
});
