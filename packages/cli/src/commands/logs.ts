import type { Requests, StreamEvent } from '@kepler/protocol';
import { Command, Option } from 'clipanion';
import { EXIT_OK, UsageError } from '../errors.js';
import { type LogOutputMode, LogPrinter } from '../format/LogPrinter.js';
import { clearedLine, notLoadedLine } from '../format/notes.js';
import { onInterrupt } from '../interrupts.js';
import { ConfigCommand } from './BaseCommand.js';

/** Lines `--follow` prints before streaming when `--tail` is not given. */
export const FOLLOW_DEFAULT_TAIL = 10;

/** The validated line selection of `kepler logs`. */
export interface LogsSelection {
  readonly head?: number;
  readonly tail?: number;
  readonly follow: boolean;
  readonly mode: LogOutputMode;
}

/**
 * Checks `--head`, `--tail`, `--follow`, `--json`, `--raw`: counts are whole numbers, `--head` and
 * `--tail` exclude each other, `--head` cannot follow, `--json` and `--raw` exclude each other.
 * `--follow` without `--tail` shows the last 10 lines first.
 *
 * @throws UsageError naming the flag.
 */
export function validateLogsFlags(flags: {
  readonly head: string | undefined;
  readonly tail: string | undefined;
  readonly follow: boolean;
  readonly json: boolean;
  readonly raw: boolean;
}): LogsSelection {
  const count = (flag: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new UsageError(`${flag}: "${value}" is not a number of lines`);
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new UsageError(`${flag}: ${value} is too large`);
    return n;
  };
  const head = count('--head', flags.head);
  const tail = count('--tail', flags.tail);
  if (head !== undefined && tail !== undefined)
    throw new UsageError('--head and --tail cannot be used together');
  if (head !== undefined && flags.follow)
    throw new UsageError('--head cannot be used with --follow (use --tail)');
  if (flags.json && flags.raw) throw new UsageError('--json and --raw cannot be used together');
  const mode: LogOutputMode = flags.json ? 'json' : flags.raw ? 'raw' : 'text';
  if (flags.follow) return { tail: tail ?? FOLLOW_DEFAULT_TAIL, follow: true, mode };
  return {
    ...(head === undefined ? {} : { head }),
    ...(tail === undefined ? {} : { tail }),
    follow: false,
    mode,
  };
}

/** `kepler logs [SERVICE...] [--follow] [--head N | --tail N] [--no-hook] [--json] [--raw]`. */
export class LogsCommand extends ConfigCommand {
  static override paths = [['logs']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'View service and hook logs',
    details: `
      Prints the stored lines of the config's services (or the named ones), merged by time, as
      \`<time> <service>[.<hook>] | <line>\` with the local time as HH:MM:SS.mmm. Service names are
      coloured when stdout is a terminal (NO_COLOR turns it off, FORCE_COLOR on).

      Without \`--head\` or \`--tail\`, every stored line is printed. \`--follow\` prints the last 10 lines
      (or \`--tail N\`) and then new lines as they arrive, until Ctrl+C or the daemon stops.

      \`--raw\` prints only the lines' bytes, exactly as the service wrote them. \`--json\` prints one object
      per line: \`ts\` (ISO-8601), \`service\`, \`hook\` (for hook output), \`stream\` and \`line\`.
      Note: \`-f\` is \`--file\`, as in every command; following is \`--follow\`.

      A service whose stored output was emptied by its \`logs.retention\` setting (by default
      \`on_stop: clear\`) gets a line on stderr naming that setting. A config the daemon has not loaded is
      not loaded by \`logs\`: it says so on stderr and exits 0.
    `,
    examples: [
      ['Every stored line of every service', '$0 logs'],
      ['Follow the last 50 lines of web', '$0 logs --follow --tail 50 web'],
      ['The first 20 lines, without hook output', '$0 logs --head 20 --no-hook'],
      ['Lines as JSON for jq', '$0 logs --json | jq -r \'select(.stream == "stderr") | .line\''],
    ],
  });

  services = Option.Rest({ name: 'service' });
  follow = Option.Boolean('--follow', false, { description: 'Keep printing new lines until Ctrl+C' });
  head = Option.String('--head', { description: 'Only the first N lines' });
  tail = Option.String('--tail', { description: 'Only the last N lines (default with --follow: 10)' });
  noHook = Option.Boolean('--no-hook', false, { description: 'Leave out the output of hooks' });
  json = Option.Boolean('--json', false, { description: 'One JSON object per line' });
  raw = Option.Boolean('--raw', false, { description: 'Only the lines, byte for byte' });
  timestamps = Option.Boolean('--timestamps', {
    description:
      "Always show each line's time (--no-timestamps: never; default: each service's logs.timestamp)",
  });

  override async execute(): Promise<number> {
    const selection = validateLogsFlags({
      head: this.head,
      tail: this.tail,
      follow: this.follow,
      json: this.json,
      raw: this.raw,
    });
    const config = await this.configRef();
    const request: Requests['logs'] = {
      type: 'logs',
      config,
      services: this.services,
      ...(selection.head === undefined ? {} : { head: selection.head }),
      ...(selection.tail === undefined ? {} : { tail: selection.tail }),
      ...(this.noHook ? { noHook: true } : {}),
      ...(selection.follow ? { follow: true } : {}),
    };
    const printer = new LogPrinter(this.context.stdout, {
      mode: selection.mode,
      timestamps: this.timestamps,
      color: this.color,
    });
    const client = await this.connect();
    let interrupted = false;
    try {
      const stdout = this.context.stdout;
      let paused = false;
      const stream = client.stream(request, (event: StreamEvent) => {
        if (event.type !== 'logLines') return;
        printer.lines(event.lines);
        // Stored lines: read no faster than stdout takes them (a pager, a slow pipe); the daemon then
        // waits too, instead of either side holding the whole log in memory. Not when following: live
        // lines cannot wait, and a follower the daemon cannot send to is dropped.
        if (!selection.follow && !paused && stdout.writableNeedDrain) {
          paused = true;
          client.pause();
          stdout.once('drain', () => {
            paused = false;
            client.resume();
          });
        }
      });
      const off = onInterrupt(() => {
        interrupted = true;
        stream.cancel();
        // Read again even if stdout is stuck: the daemon may be waiting for us to drain before it
        // reads the cancel.
        client.resume();
      });
      try {
        const result = await stream.result;
        // On stderr: stdout stays the log (or JSON lines) even when it is empty.
        if (result.loaded === false) this.err(`${notLoadedLine(config.path)}\n`);
        for (const cleared of result.cleared ?? []) this.err(`${clearedLine(cleared)}\n`);
      } catch (error) {
        // Ctrl+C ends a follow cleanly. A daemon that stops ends it with a response (exit 0); a lost
        // connection (the daemon crashed, or dropped a reader that fell too far behind) is an error.
        if (!interrupted) throw error;
      } finally {
        off();
      }
    } finally {
      client.close();
    }
    return EXIT_OK;
  }
}
