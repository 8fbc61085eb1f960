import { homedir } from 'node:os';
import type { Requests, StreamEvent, TopSnapshot } from '@kepler/protocol';
import { Command, Option } from 'clipanion';
import { EXIT_OK } from '../errors.js';
import { formatClock } from '../format/logLine.js';
import { notLoadedLine } from '../format/notes.js';
import { renderTopTable, topToJson } from '../format/top.js';
import { onInterrupt } from '../interrupts.js';
import { ConfigCommand } from './BaseCommand.js';

/** Terminal control: the alternate screen keeps the user's scrollback as it was. */
const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l';
const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';
/** Cursor home, then each line cleared to its end and everything below cleared: a redraw without flicker. */
const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

/** `kepler top [--all] [--json]`. */
export class TopCommand extends ConfigCommand {
  static override paths = [['top']];

  static override usage = Command.Usage({
    category: 'Services',
    description: 'Show the services with their CPU and memory, refreshed every second',
    details: `
      On a terminal, a table of the config's services (SERVICE, STATUS, CPU%, MEMORY, PID, RESTARTS)
      redrawn once a second until Ctrl+C, on the alternate screen (your scrollback is left as it was).
      \`--all\` shows every loaded config, with a CONFIG column. When stdout is not a terminal, and
      with \`--json\`, it prints one snapshot and exits: the daemon may take a second to measure CPU.

      CPU% is of one core since the previous sample (200% is two cores busy). CPU and memory come from
      the service's cgroup where services get one (everything it runs, hooks and health checks
      included), else from its process tree in /proc. The daemon samples only while someone asks
      (\`top\`, a metrics scrape): an idle daemon spends nothing on it.

      \`--json\` prints an array of the \`ps --json\` objects (without \`stale\`) with \`cpu_percent\`, \`cpu_seconds\`,
      \`memory_bytes\` and \`usage_source\` (\`cgroup\` or \`proc\`; null when nothing runs).
    `,
    examples: [
      ['Watch the services of ./kepler.yaml', '$0 top'],
      ['Watch every loaded config', '$0 top --all'],
      ['One snapshot as JSON', '$0 top --json'],
    ],
  });

  all = Option.Boolean('-a,--all', false, { description: 'Show the services of every loaded config' });
  json = Option.Boolean('--json', false, { description: 'Print one snapshot as JSON' });

  override async execute(): Promise<number> {
    const config = this.all ? undefined : await this.configRef();
    const request: Requests['top'] =
      config === undefined ? { type: 'top', all: true } : { type: 'top', config };
    if (this.json || !this.stdoutIsTTY) {
      const snapshot = await this.withClient((client) => client.request(request));
      if (snapshot.loaded === false && config !== undefined) {
        this.err(`${notLoadedLine(config.path)}\n`);
        if (this.json) this.printJson([]);
        return EXIT_OK;
      }
      if (this.json) this.printJson(topToJson(snapshot));
      else this.out(this.table(snapshot));
      return EXIT_OK;
    }
    return this.watch(request, config?.path);
  }

  private table(snapshot: TopSnapshot): string {
    return renderTopTable(snapshot, {
      showConfig: this.all,
      cwd: process.cwd(),
      home: homedir(),
      color: this.color,
    });
  }

  /** Redraws the table on the alternate screen at every sample until Ctrl+C; the terminal is restored. */
  private async watch(request: Requests['top'], configPath: string | undefined): Promise<number> {
    const client = await this.connect();
    let interrupted = false;
    this.out(ENTER_SCREEN);
    let onScreen = true;
    const leave = () => {
      if (onScreen) this.out(LEAVE_SCREEN);
      onScreen = false;
    };
    try {
      const stream = client.stream({ ...request, follow: true }, (event: StreamEvent) => {
        if (event.type !== 'usage') return;
        const title = `kepler top  ${configPath ?? 'all configs'}  ${formatClock(event.snapshot.sampledAt).slice(0, 8)}  (Ctrl+C quits)`;
        const lines = [title, '', ...this.table(event.snapshot).trimEnd().split('\n')];
        this.out(`${HOME}${lines.map((l) => `${l}${CLEAR_LINE_END}`).join('\n')}\n${CLEAR_BELOW}`);
      });
      const off = onInterrupt(() => {
        interrupted = true;
        stream.cancel();
      });
      try {
        const result = await stream.result;
        leave();
        if (result.loaded === false && configPath !== undefined) this.err(`${notLoadedLine(configPath)}\n`);
      } catch (error) {
        // Ctrl+C ends it cleanly; a lost daemon is an error (said after the screen is restored).
        if (!interrupted) throw error;
      } finally {
        off();
      }
    } finally {
      leave();
      client.close();
    }
    return EXIT_OK;
  }
}
