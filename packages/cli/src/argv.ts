import { UsageError } from './errors.js';

/** Options whose value is a number: a negative one must not be taken for a flag. */
const NUMERIC_OPTIONS: ReadonlySet<string> = new Set(['-n', '--tail', '--head']);

/**
 * Normalises the global options so they work anywhere on the command line: `-f FILE`, `--file FILE`,
 * `--file=FILE`, `-fFILE`, `-v` and `--verbose` may come before the command (`kepler -f app.yaml start`)
 * or after it. They are removed where they stand and re-added after the other arguments as
 * `--file=FILE` / `--verbose`, which clipanion parses on the command itself. `-f` may be given several
 * times (the config, then overlays merged over it): every one is kept, in the order given, wherever it
 * stands. Arguments after `--` are left alone. It does not check that the command accepts `--file`
 * (clipanion reports that).
 *
 * @throws UsageError when `-f` has no value.
 */
export function preprocessArgv(argv: readonly string[]): string[] {
  const rest: string[] = [];
  const files: string[] = [];
  let verbose = false;
  const setFile = (value: string | undefined, flag: string) => {
    if (value === undefined || value === '') {
      throw new UsageError(`${flag} needs a config file path (to follow logs, use --follow)`);
    }
    files.push(value);
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
    } else if (NUMERIC_OPTIONS.has(arg) && /^-\d/.test(argv[i + 1] ?? '')) {
      // `--tail -1` would read as a flag named -1 ("--tail needs a value"); keep it as the value, so
      // the command reports what is wrong with it.
      rest.push(`${arg}=${argv[i + 1]}`);
      i++;
    } else {
      rest.push(arg);
    }
  }
  const globals = [...files.map((file) => `--file=${file}`), ...(verbose ? ['--verbose'] : [])];
  return [...rest, ...globals, ...argv.slice(i)];
}
