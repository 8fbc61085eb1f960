/**
 * What a completion script needs to know about the CLI, read from clipanion's definitions of the
 * registered commands (so the scripts follow the commands without a list of their own): each
 * command's words, flags (and which take a value) and which service names it takes.
 */
import { DEFAULT_CONFIG_NAMES } from '@kepler/config/files';

/** One flag of a command: its names (`-n`, `--tail`) and the name of its value, if it takes one. */
export interface CompletionFlag {
  readonly names: readonly string[];
  /** `FILE`, `SIGNAL`, `N`, `TIME`...; null for a flag without a value. */
  readonly value: string | null;
  readonly description: string;
}

/** One command: `['daemon', 'start']` and what may follow it. */
export interface CompletionCommand {
  readonly words: readonly string[];
  readonly description: string;
  readonly flags: readonly CompletionFlag[];
  /**
   * The service names it takes (`[SERVICE...]` or `<service>` in its usage): a config's (`config`),
   * or the caller's `kepler run` services (`run`: `kepler rm`); null when it takes none.
   */
  readonly services: ServiceNames | null;
  /** Fixed words it takes as arguments (`completion`: the shells). */
  readonly args: readonly string[];
}

/** Whose service names a command takes: the config's, or the caller's `kepler run` services. */
export type ServiceNames = 'config' | 'run';

/** Everything a script completes. */
export interface CompletionModel {
  readonly commands: readonly CompletionCommand[];
  /** The config file names looked for in a directory, in order (the CLI's own list). */
  readonly configNames: readonly string[];
  /** The command line (after the binary) that prints the caller's `kepler run` services. */
  readonly runServicesArgs: readonly string[];
  /** Flags before any command: the global ones, `--help` and `--version`. */
  readonly topFlags: readonly CompletionFlag[];
  /** Signals offered after `-s/--signal`. */
  readonly signals: readonly string[];
}

/** The part of a clipanion definition (`Cli.definitions()`) the model reads. */
export interface CommandDefinition {
  readonly path: string;
  readonly usage: string;
  readonly description?: string;
  readonly options: readonly { readonly definition: string; readonly description?: string }[];
}

/** The shells `kepler completion` writes scripts for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** Fixed arguments of commands whose usage cannot say them (clipanion shows `<shell>`). */
const COMMAND_ARGS: Readonly<Record<string, readonly string[]>> = { completion: COMPLETION_SHELLS };

/** Commands whose service names are the caller's `kepler run` services, not a config's. */
const RUN_SERVICE_COMMANDS: ReadonlySet<string> = new Set(['rm']);

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGKILL', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

const HELP_FLAG: CompletionFlag = { names: ['-h', '--help'], value: null, description: 'Show help' };

/** The first line of a description, without a trailing period. */
function oneLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n', 1)[0]?.replace(/\.$/, '') ?? '';
}

/** `-n,--tail N` -> names and value name. */
function flagOf(option: CommandDefinition['options'][number]): CompletionFlag {
  const [names = '', value] = option.definition.trim().split(/\s+/);
  return { names: names.split(','), value: value ?? null, description: oneLine(option.description) };
}

/**
 * The model of the commands `definitions` describe (`binary` is the first word of their paths). The
 * global flags of the first command that has them are offered before any command too.
 */
export function completionModel(
  definitions: readonly CommandDefinition[],
  binary = 'kepler',
): CompletionModel {
  const commands = definitions.map((d): CompletionCommand => {
    const words = d.path.split(' ').filter((w, i) => !(i === 0 && w === binary));
    return {
      words,
      description: oneLine(d.description),
      flags: [...d.options.map(flagOf), HELP_FLAG],
      // `[SERVICE...]`, or one service (`kepler inspect <service>`).
      services:
        d.usage.includes('[SERVICE...]') || d.usage.includes('<service>')
          ? RUN_SERVICE_COMMANDS.has(words.join(' '))
            ? 'run'
            : 'config'
          : null,
      args: COMMAND_ARGS[words.join(' ')] ?? [],
    };
  });
  commands.push({
    words: ['help'],
    description: 'Show the list of commands, or the help of one',
    flags: [],
    services: null,
    args: [],
  });
  const globals = commands
    .flatMap((c) => c.flags)
    .filter((f) => f.names.includes('--file') || f.names.includes('--verbose'));
  const topFlags = [
    ...new Map(globals.map((f) => [f.names.join(','), f])).values(),
    HELP_FLAG,
    { names: ['--version'], value: null, description: 'Print the version' },
  ];
  return {
    commands,
    topFlags,
    signals: SIGNALS,
    configNames: DEFAULT_CONFIG_NAMES,
    runServicesArgs: ['rm', '--list'],
  };
}

/** Commands named by one word (`start`) or groups of them (`daemon`), in the model's order. */
export function topWords(model: CompletionModel): { word: string; description: string }[] {
  const out = new Map<string, string>();
  for (const c of model.commands) {
    const word = c.words[0];
    if (word === undefined) continue;
    if (c.words.length === 1 || !out.has(word)) out.set(word, c.words.length === 1 ? c.description : '');
  }
  return [...out].map(([word, description]) => ({ word, description }));
}

/** The commands (their words joined) that take service names from `source`. */
export function serviceCommands(model: CompletionModel, source: ServiceNames): string[] {
  return model.commands.filter((c) => c.services === source).map((c) => c.words.join(' '));
}

/** Words that start a command of two words (`daemon`). */
export function groupWords(model: CompletionModel): string[] {
  return [...new Set(model.commands.filter((c) => c.words.length > 1).map((c) => c.words[0] as string))];
}

/** The names of the flags that take a value, by what the value is: a file, a signal, anything else. */
export interface ValueFlags {
  readonly file: string[];
  readonly signal: string[];
  readonly other: string[];
}

/** Every flag that takes a value, by name (the same name means the same flag in every command). */
export function valueFlags(model: CompletionModel): ValueFlags {
  const byName = new Map<string, string>();
  for (const f of [...model.topFlags, ...model.commands.flatMap((c) => c.flags)]) {
    if (f.value !== null) for (const n of f.names) byName.set(n, f.value);
  }
  const out: ValueFlags = { file: [], signal: [], other: [] };
  for (const [name, value] of byName) {
    (value === 'FILE' ? out.file : value === 'SIGNAL' ? out.signal : out.other).push(name);
  }
  return out;
}

/**
 * An awk program printing the service names of a kepler.yaml: the keys one level under `services:`.
 * The scripts use it when `kepler config --services` gives nothing (a config that does not bake, or a
 * CLI without that flag).
 */
export const SERVICES_AWK =
  '/^services:/ { on = 1; next } on && /^[^ #]/ { on = 0 } ' +
  'on && match($0, /^ +[A-Za-z0-9_-]+:/) { n = match($0, /[^ ]/) - 1; if (!ind) ind = n; ' +
  'if (n == ind) { line = $0; sub(/^ +/, "", line); sub(/:.*/, "", line); print line } }';
