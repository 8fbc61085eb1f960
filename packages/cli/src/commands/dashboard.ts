import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Command, Option } from 'clipanion';
import { CliError, EXIT_OK } from '../errors.js';
import { BaseCommand } from './BaseCommand.js';

/** How long the daemon gets to mint a login code. */
const LOGIN_CODE_TIMEOUT_MS = 5000;

/** `kepler dashboard`: a link that logs a browser into the daemon's dashboard, opened where possible. */
export class DashboardCommand extends BaseCommand {
  static override paths = [['dashboard']];

  static override usage = Command.Usage({
    description: 'Open the web dashboard (the daemon must serve HTTP: daemon start --http ADDR)',
    details: `
      Asks the daemon for a one-time login code (with the API token, \`http.token\` in the state
      directory, which root and the \`kepler\` group may read) and prints a link that logs the browser in:
      the code is spent for a session key that the page keeps to itself (no cookie, which the browser
      would also send to other servers on the machine), so the token itself never goes into the
      browser. The link works once, within two minutes; sessions end when the daemon restarts.

      The link is also opened with \`xdg-open\` when a graphical session is there (\`$DISPLAY\` or
      \`$WAYLAND_DISPLAY\`) and \`--no-open\` is not given.
    `,
    examples: [
      ['Open the dashboard', '$0 dashboard'],
      [
        'Only print the link (e.g. to open it on another machine through an SSH tunnel)',
        '$0 dashboard --no-open',
      ],
    ],
  });

  noOpen = Option.Boolean('--no-open', false, { description: 'Print the link without opening a browser' });

  override async execute(): Promise<number> {
    const stateDir = this.stateDir;
    const url = readHttpUrl(stateDir);
    const token = readToken(stateDir);
    let path: string;
    try {
      const res = await fetch(`${url}/api/v1/login-code`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(LOGIN_CODE_TIMEOUT_MS),
      });
      const body = (await res.json()) as { path?: unknown; message?: unknown };
      if (!res.ok || typeof body.path !== 'string') {
        throw new Error(typeof body.message === 'string' ? body.message : `HTTP ${res.status}`);
      }
      path = body.path;
    } catch (e) {
      throw new CliError(
        'DASHBOARD_UNAVAILABLE',
        `The daemon did not answer on ${url}: ${(e as Error).message}`,
      );
    }
    const link = `${url}${path}`;
    this.out(`${link}\n`);
    this.err('The link logs a browser in once, within 2 minutes.\n');
    if (!this.noOpen) openInBrowser(link, this.context.env);
    return EXIT_OK;
  }
}

function readHttpUrl(stateDir: string): string {
  let info: unknown;
  try {
    info = JSON.parse(readFileSync(join(stateDir, 'http.json'), 'utf8'));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliError(
      'DASHBOARD_UNAVAILABLE',
      missing
        ? 'The daemon does not serve HTTP: start it with --http, e.g. sudo kepler daemon restart -d --http 127.0.0.1:7070'
        : `Cannot read ${join(stateDir, 'http.json')}: ${(e as Error).message}`,
    );
  }
  const url = (info as { url?: unknown }).url;
  if (typeof url !== 'string' || !/^http:\/\//.test(url)) {
    throw new CliError('DASHBOARD_UNAVAILABLE', `${join(stateDir, 'http.json')} names no URL`);
  }
  return url;
}

function readToken(stateDir: string): string {
  const file = join(stateDir, 'http.token');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    const denied = (e as NodeJS.ErrnoException).code === 'EACCES';
    throw new CliError(
      'DASHBOARD_UNAVAILABLE',
      denied
        ? `Cannot read the API token ${file}: root and members of the kepler group may`
        : `Cannot read the API token ${file}: ${(e as Error).message}`,
    );
  }
}

/** Opens `link` with xdg-open in a graphical session; does nothing elsewhere (the link is printed). */
function openInBrowser(link: string, env: NodeJS.ProcessEnv): void {
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return;
  const opener = (env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'xdg-open'))
    .find((p) => {
      try {
        accessSync(p, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  if (!opener) return;
  const child = spawn(opener, [link], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}
