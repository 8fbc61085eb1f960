import { COMMANDS } from './cli.js';
import { COMMAND_MODULES, commandModuleFor } from './dispatch.js';

/** Paths the full CLI answers itself (help, `--version`, `kepler daemon`, `kepler export`): not dispatched alone. */
const FULL_CLI_PATHS = new Set(['-h', '--help', 'help', '--version', 'daemon', 'export']);

describe('COMMAND_MODULES', () => {
  it('loads every command of COMMANDS under its path', async () => {
    const expected = COMMANDS.flatMap((c) =>
      (c.paths ?? [])
        .filter((p) => !FULL_CLI_PATHS.has(p.join(' ')))
        .map((path) => ({ path: path.join(' '), command: c })),
    );
    const actual = await Promise.all(
      COMMAND_MODULES.map(async (m) => ({ path: m.path.join(' '), command: await m.load() })),
    );
    expect(actual).toEqual(expect.arrayContaining(expected));
    expect(actual).toHaveLength(expected.length);
  });
});

describe('commandModuleFor', () => {
  const pathOf = (args: string[]) => commandModuleFor(args)?.path.join(' ') ?? null;

  it('picks the longest path the arguments start with', () => {
    expect(pathOf(['ps', '--json', 'web'])).toBe('ps');
    expect(pathOf(['daemon', 'start', '-d'])).toBe('daemon start');
    expect(pathOf(['logs', '--', '-h'])).toBe('logs');
  });

  it('leaves help, --version, `daemon` alone and unknown commands to the full CLI', () => {
    for (const args of [
      ['--help'],
      ['help', 'ps'],
      ['ps', '--help'],
      ['daemon', 'start', '-h'],
      ['--version'],
      ['daemon'],
      ['strat'],
      [],
    ]) {
      expect(pathOf(args)).toBeNull();
    }
  });
});
