import { type BaseContext, type Cli, Command, type CommandClass, Option } from 'clipanion';
import { preprocessArgv } from './argv.js';
import { cliContext, newKeplerCli } from './cliSetup.js';
import { CompletionCommand } from './commands/completion.js';
import { ConfigPrintCommand } from './commands/config.js';
import { DaemonRestartCommand } from './commands/daemon/restart.js';
import { DaemonStartCommand } from './commands/daemon/start.js';
import { DaemonStatusCommand } from './commands/daemon/status.js';
import { DaemonStopCommand } from './commands/daemon/stop.js';
import { DashboardCommand } from './commands/dashboard.js';
import { DownCommand } from './commands/down.js';
import { ExportNomadCommand, ExportSystemdCommand } from './commands/export.js';
import { InspectCommand } from './commands/inspect.js';
import { LogsCommand } from './commands/logs.js';
import { PruneCommand } from './commands/prune.js';
import { PsCommand } from './commands/ps.js';
import { RecreateCommand } from './commands/recreate.js';
import { RestartCommand } from './commands/restart.js';
import { RmCommand } from './commands/rm.js';
import { RunCommand } from './commands/run.js';
import { StartCommand } from './commands/start.js';
import { StatusCommand } from './commands/status.js';
import { StopCommand } from './commands/stop.js';
import { TopCommand } from './commands/top.js';
import { UpCommand } from './commands/up.js';
import { CliError, EXIT_FAILURE } from './errors.js';
import { describeParseError } from './parseErrors.js';
import { CLI_VERSION } from './version.js';

/** `kepler --version`. Not clipanion's builtin, which also claims `-v` (our `--verbose`). */
class VersionCommand extends Command {
  static override paths = [['--version']];
  override async execute(): Promise<number> {
    this.context.stdout.write(`kepler ${CLI_VERSION}\n`);
    return 0;
  }
}

/**
 * `kepler --help`, `kepler -h`, `kepler help` (and `kepler` alone, see `runCli`): the list of commands.
 * Not a default command: clipanion would then show only its usage instead of the list.
 */
class HelpCommand extends Command {
  static override paths = [['-h'], ['--help'], ['help']];
  // No `usage`: clipanion would list `kepler -h` among the commands. `kepler help CMD` shows CMD's help.
  words = Option.Rest();
  override async execute(): Promise<number> {
    if (this.words.length === 0) {
      this.context.stdout.write(this.cli.usage(null));
      return 0;
    }
    const wanted = this.words.join(' ');
    const command = COMMANDS.find((c) => (c.paths ?? []).some((p) => p.join(' ') === wanted));
    if (!command) {
      this.context.stderr.write(`No command 'kepler ${wanted}' (see: kepler --help)\n`);
      return EXIT_FAILURE;
    }
    this.context.stdout.write(this.cli.usage(command, { detailed: true }));
    return 0;
  }
}

/** `kepler daemon` alone (or with --help): the daemon's subcommands. */
class DaemonHelpCommand extends Command {
  static override paths = [['daemon']];
  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Manage the daemon: start, stop, restart, status',
    details: `
      The daemon runs as root and supervises the services of every config. Its subcommands:
      \`kepler daemon start [-d]\`, \`kepler daemon stop\`, \`kepler daemon restart [-d]\`,
      \`kepler daemon status [--json]\`.
    `,
    examples: [
      ['Start the daemon in the background', 'sudo $0 daemon start -d'],
      ['Show whether it runs and what it supervises', '$0 daemon status'],
    ],
  });
  override async execute(): Promise<number> {
    this.context.stdout.write(groupUsage(this.cli, 'daemon'));
    return 0;
  }
}

/** `kepler export` alone (or with --help): its targets, as `kepler daemon` lists its subcommands. */
class ExportHelpCommand extends Command {
  static override paths = [['export']];
  static override usage = Command.Usage({
    category: 'Export',
    description: 'Write the config for another engine: systemd units or a Nomad job',
    details: `
      Bakes the config here (no daemon) and writes it for another engine, warning about every
      setting that does not carry over: \`kepler export systemd [-o DIR]\`, \`kepler export nomad [-o FILE]\`.
    `,
    examples: [
      ['Write systemd units into /etc/systemd/system', 'sudo $0 export systemd -o /etc/systemd/system'],
      ['Print a Nomad job', '$0 export nomad'],
    ],
  });
  override async execute(): Promise<number> {
    this.context.stdout.write(groupUsage(this.cli, 'export'));
    return 0;
  }
}

/** The usage of every subcommand of `group` (`kepler daemon`, `kepler export` alone). */
function groupUsage(cli: Command['cli'], group: string): string {
  const subcommands = COMMANDS.filter((c) => (c.paths ?? []).some((p) => p[0] === group && p.length > 1));
  return subcommands.map((c) => cli.usage(c)).join('');
}

/** Every command of the CLI, in help order. */
export const COMMANDS: readonly CommandClass[] = [
  StartCommand,
  StopCommand,
  RestartCommand,
  PsCommand,
  StatusCommand,
  LogsCommand,
  UpCommand,
  DownCommand,
  RecreateCommand,
  PruneCommand,
  RunCommand,
  RmCommand,
  TopCommand,
  InspectCommand,
  ConfigPrintCommand,
  ExportSystemdCommand,
  ExportNomadCommand,
  ExportHelpCommand,
  CompletionCommand,
  DashboardCommand,
  DaemonStartCommand,
  DaemonStopCommand,
  DaemonRestartCommand,
  DaemonStatusCommand,
  DaemonHelpCommand,
  HelpCommand,
  VersionCommand,
];

/** A clipanion Cli with every Kepler command registered; `colored` styles help and usage output. */
export function buildCli(colored = false): Cli {
  const cli = newKeplerCli(colored);
  for (const command of COMMANDS) cli.register(command);
  return cli;
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves with the exit code. Global
 * options may come anywhere (see `preprocessArgv`); a parse error prints one line on stderr and gives
 * exit 1; everything else is the command's (see `BaseCommand.catch`).
 */
export async function runCli(argv: readonly string[], context: Partial<BaseContext> = {}): Promise<number> {
  const { ctx, colored } = cliContext(context);
  const cli = buildCli(colored);
  let args: string[];
  try {
    args = preprocessArgv(argv.length === 0 ? ['--help'] : argv);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    ctx.stderr.write(`${error.message}\n`);
    return error.exitCode;
  }
  let command: Command;
  try {
    command = cli.process(args, ctx);
  } catch (error) {
    const paths = COMMANDS.flatMap((c) => c.paths ?? []);
    ctx.stderr.write(`${describeParseError(error, args, paths)}\n`);
    return EXIT_FAILURE;
  }
  return cli.run(command, ctx);
}
