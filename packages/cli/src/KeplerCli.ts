import { Cli, type CommandClass } from 'clipanion';

/**
 * What usage lines show for an option's value instead of clipanion's `#0`. Keyed by the option's names
 * as declared; an option means the same in every command, so one table serves them all.
 */
export const OPTION_VALUE_NAMES: Readonly<Record<string, string>> = {
  '-f,--file': 'FILE',
  '--head': 'N',
  '-n,--tail': 'N',
  '--since': 'TIME',
  '--until': 'TIME',
  '--timeout': 'DURATION',
  '-s,--signal': 'SIGNAL',
  // kepler run
  '--name': 'NAME',
  '--restart': 'POLICY',
  '-e,--env': 'KEY=VALUE',
  '--env-file': 'FILE',
  '--cwd': 'DIR',
  '--user': 'USER',
  // daemon start/restart
  '--proxy': 'ADDR',
  '--http': 'ADDR',
  // export, inspect
  '-o,--output': 'PATH',
  '--job': 'NAME',
  '--driver': 'DRIVER',
  '--systemd-version': 'N',
  '-n,--lines': 'N',
};

/** An option's names followed by clipanion's placeholder for its value. */
const VALUE_PLACEHOLDER = /(-[\w-]+(?:,-[\w-]+)*) #0/g;
/** clipanion's `...` for a command's rest arguments (a word of its own). */
const REST_PLACEHOLDER = / \.\.\.(?= |$)/;

type UsageFn = (opts?: { detailed?: boolean; inlineOptions?: boolean }) => {
  usage: string;
  options: Array<{ definition: string; description: string; required: boolean }>;
};

/**
 * clipanion's Cli with readable usage lines: `--tail N` and `-f,--file FILE` instead of `#0`, and the
 * rest arguments by name (`[SERVICE...]` for `Option.Rest({ name: 'service' })`) instead of `...`.
 * Everything else (parsing, help layout) is clipanion's; only the usage text of each command changes,
 * before clipanion aligns it, so help columns stay aligned.
 */
export class KeplerCli extends Cli {
  override register(commandClass: CommandClass): void {
    super.register(commandClass);
    const record = this.registrations.get(commandClass);
    if (record === undefined) return;
    const builder = record.builder as unknown as { usage: UsageFn };
    const rest = restNameOf(record.specs);
    const original: UsageFn = builder.usage.bind(builder);
    const named = (text: string) =>
      text.replace(
        VALUE_PLACEHOLDER,
        (_match, names: string) => `${names} ${OPTION_VALUE_NAMES[names] ?? 'VALUE'}`,
      );
    builder.usage = (opts) => {
      const { usage, options } = original(opts);
      const withRest = rest === null ? usage : usage.replace(REST_PLACEHOLDER, ` [${rest.toUpperCase()}...]`);
      return {
        usage: named(withRest),
        options: options.map((o) => ({ ...o, definition: named(o.definition) })),
      };
    };
  }
}

/**
 * The name given to the command's `Option.Rest` (clipanion keeps it only for required ones): found by
 * replaying the options' definitions against a builder that only records `addRest`.
 */
function restNameOf(
  specs: ReadonlyMap<string, { definition: (builder: never, key: string) => void }>,
): string | null {
  let name: string | null = null;
  const recorder = {
    addRest: (opts: { name?: string } = {}) => {
      name = opts.name ?? 'arg';
    },
    addOption: () => undefined,
    addPositional: () => undefined,
    addProxy: () => undefined,
  };
  for (const [key, spec] of specs) spec.definition(recorder as never, key);
  return name;
}
