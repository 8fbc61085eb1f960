import { UsageError } from './errors.js';

/**
 * Normalises the global options so they work anywhere on the command line: `-f FILE`, `--file FILE`,
 * `--file=FILE`, `-fFILE`, `-v` and `--verbose` may come before the command (`kepler -f app.yaml start`)
 * or after it. They are removed where they stand and re-added after the other arguments as
 * `--file=FILE` / `--verbose`, which clipanion parses on the command itself. Arguments after `--` are
 * left alone. It does not check that the command accepts `--file` (clipanion reports that).
 *
 * @throws UsageError when `-f` has no value or is given twice.
 */
export function preprocessArgv(argv: readonly string[]): string[] {
  const rest: string[] = [];
  let file: string | undefined;
  let verbose = false;
  const setFile = (value: string | undefined, flag: string) => {
    if (value === undefined || value === '') {
      throw new UsageError(`${flag} needs a config file path (to follow logs, use --follow)`);
    }
    if (file !== undefined) throw new UsageError(`-f/--file given twice ("${file}" and "${value}")`);
    file = value;
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (arg === '-f' || arg === '--file') {
      setFile(argv[i + 1], arg);
      i++;
    } else if (arg.startsWith('--file=')) {
      setFile(arg.slice('--file='.length), '--file');
    } else if (arg.startsWith('-f') && !arg.startsWith('--')) {
      setFile(arg.slice(arg.startsWith('-f=') ? 3 : 2), '-f');
    } else if (arg === '-v' || arg === '--verbose') {
      verbose = true;
    } else {
      rest.push(arg);
    }
  }
  const globals = [...(file === undefined ? [] : [`--file=${file}`]), ...(verbose ? ['--verbose'] : [])];
  return [...rest, ...globals, ...argv.slice(i)];
}
