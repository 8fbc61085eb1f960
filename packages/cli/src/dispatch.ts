import type { BaseContext, Command, CommandClass } from 'clipanion';
import { preprocessArgv } from './argv.js';
import { cliContext, newKeplerCli } from './cliSetup.js';

/** A command the dispatcher can run alone: its path and how to import the module that holds it. */
interface CommandModule {
  readonly path: readonly string[];
  readonly load: () => Promise<CommandClass>;
}

/**
 * Every command that runs without the others, by path. Help (`--help`, `help`, `daemon`) and
 * `--version` are not here: they go through the full CLI (`cli.ts`), which help needs for the list of
 * commands. A unit test keeps this table in step with `COMMANDS`.
 */
export const COMMAND_MODULES: readonly CommandModule[] = [
  { path: ['start'], load: async () => (await import('./commands/start.js')).StartCommand },
  { path: ['stop'], load: async () => (await import('./commands/stop.js')).StopCommand },
  { path: ['restart'], load: async () => (await import('./commands/restart.js')).RestartCommand },
  { path: ['ps'], load: async () => (await import('./commands/ps.js')).PsCommand },
  { path: ['status'], load: async () => (await import('./commands/status.js')).StatusCommand },
  { path: ['logs'], load: async () => (await import('./commands/logs.js')).LogsCommand },
  { path: ['recreate'], load: async () => (await import('./commands/recreate.js')).RecreateCommand },
  { path: ['up'], load: async () => (await import('./commands/up.js')).UpCommand },
  { path: ['down'], load: async () => (await import('./commands/down.js')).DownCommand },
  { path: ['prune'], load: async () => (await import('./commands/prune.js')).PruneCommand },
  { path: ['run'], load: async () => (await import('./commands/run.js')).RunCommand },
  { path: ['rm'], load: async () => (await import('./commands/rm.js')).RmCommand },
  { path: ['top'], load: async () => (await import('./commands/top.js')).TopCommand },
  { path: ['inspect'], load: async () => (await import('./commands/inspect.js')).InspectCommand },
  { path: ['config'], load: async () => (await import('./commands/config.js')).ConfigPrintCommand },
  // export (issue 17)
  {
    path: ['export', 'systemd'],
    load: async () => (await import('./commands/export.js')).ExportSystemdCommand,
  },
  {
    path: ['export', 'nomad'],
    load: async () => (await import('./commands/export.js')).ExportNomadCommand,
  },
  {
    path: ['completion'],
    load: async () => (await import('./commands/completion.js')).CompletionCommand,
  },
  { path: ['dashboard'], load: async () => (await import('./commands/dashboard.js')).DashboardCommand },
  {
    path: ['daemon', 'start'],
    load: async () => (await import('./commands/daemon/start.js')).DaemonStartCommand,
  },
  {
    path: ['daemon', 'stop'],
    load: async () => (await import('./commands/daemon/stop.js')).DaemonStopCommand,
  },
  {
    path: ['daemon', 'restart'],
    load: async () => (await import('./commands/daemon/restart.js')).DaemonRestartCommand,
  },
  {
    path: ['daemon', 'status'],
    load: async () => (await import('./commands/daemon/status.js')).DaemonStatusCommand,
  },
];

/** Flags that ask clipanion for a command's help: the full CLI answers them. */
const HELP_FLAGS: ReadonlySet<string> = new Set(['-h', '--help']);

/**
 * The module of the command `args` (preprocessed) names, or null when the full CLI must answer: help,
 * `--version`, no or an unknown command. The longest matching path wins (`daemon start` over `daemon`).
 */
export function commandModuleFor(args: readonly string[]): CommandModule | null {
  const end = args.indexOf('--');
  if (args.slice(0, end === -1 ? args.length : end).some((a) => HELP_FLAGS.has(a))) return null;
  let best: CommandModule | null = null;
  for (const entry of COMMAND_MODULES) {
    if (entry.path.length > args.length || !entry.path.every((word, i) => args[i] === word)) continue;
    if (best === null || entry.path.length > best.path.length) best = entry;
  }
  return best;
}

/**
 * Runs the CLI on `argv` like `runCli`, with the same output and exit code, but imports only the
 * command it runs: `kepler ps` loads neither the other commands nor the config pipeline. Whatever this
 * path cannot parse alone (help, `--version`, a mistyped command or option) is handed to `runCli`,
 * which reports it exactly as before.
 */
export async function dispatchCli(
  argv: readonly string[],
  context: Partial<BaseContext> = {},
): Promise<number> {
  let args: string[] | null;
  try {
    args = preprocessArgv(argv.length === 0 ? ['--help'] : argv);
  } catch {
    args = null; // `runCli` reports it.
  }
  const entry = args === null ? null : commandModuleFor(args);
  if (args !== null && entry !== null) {
    const { ctx, colored } = cliContext(context);
    const cli = newKeplerCli(colored);
    cli.register(await entry.load());
    let command: Command | null = null;
    try {
      command = cli.process(args, ctx);
    } catch {
      // A parse error: the full CLI names it against every command.
    }
    if (command !== null) return cli.run(command, ctx);
  }
  const { runCli } = await import('./cli.js');
  return runCli(argv, context);
}
