/// <reference lib="dom" />
// The page functions below run in the browser.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core';
import { REPO, waitFor } from '../testkit.js';
import { call, type HttpDaemon, startHttpDaemon } from './httpkit.js';

/**
 * The dashboard in a real browser (Debian's chromium, headless, driven by puppeteer-core): logged in
 * through `kepler dashboard`'s link, it shows the services, follows a kill live, restarts a service
 * from its button and follows its log. The last screen is kept in e2e/artifacts/ (gitignored).
 */
const CHROMIUM = process.env.KEPLER_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'e2e', 'artifacts');

let d: HttpDaemon;
let config: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no browser at ${CHROMIUM}: scripts/setup.sh installs Debian's chromium`);
  d = await startHttpDaemon('kepler-dashboard');
  config = d.daemon.writeConfig(`services:
  web:
    command: ["sh", "-c", "echo started web; while true; do echo tick web; sleep 0.2; done"]
    stop_grace_period: 1s
  worker:
    command: ["sleep", "300"]
    stop_grace_period: 1s
`);
  expect((await d.daemon.cli(['start', '-d', '-f', config])).code).toBe(0);
  await d.daemon.waitStatus(config, 'web', 'running');
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root (CI), Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
}, 60_000);

afterAll(async () => {
  if (page) {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true }).catch(() => undefined);
  }
  await browser?.close();
  await d?.daemon.cleanup();
}, 60_000);

const row = (service: string) => `tr[data-service="${service}"]`;
const cellText = (service: string, column: number) =>
  page.$eval(`${row(service)} td:nth-child(${column})`, (td) => td.textContent ?? '');
const PID_COLUMN = 3;

test('`kepler dashboard` logs the browser in and the page shows every service', async () => {
  const r = await d.daemon.cli(['dashboard', '--no-open']);
  expect(r.code).toBe(0);
  const link = r.stdout.trim();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?code=/);
  await page.goto(link);
  expect(new URL(page.url()).pathname).toBe('/');
  // The key moved from the address bar to this origin's storage.
  await page.waitForFunction(() => location.hash === '' && localStorage.getItem('kepler.session') !== null);
  await page.waitForSelector(`${row('web')}[data-status="running"]`);
  await page.waitForSelector(`${row('worker')}[data-status="running"]`);
  expect(await page.$eval('h2', (h) => h.textContent)).toBe(config);
  const pid = (await d.daemon.service(config, 'web')).pid;
  expect(await cellText('web', PID_COLUMN)).toBe(String(pid));
  await page.waitForSelector('#live.on');
}, 30_000);

test('CPU and memory are shown for running services', async () => {
  const MEMORY_COLUMN = 8;
  await page.waitForFunction(
    (sel, col) =>
      /\d (B|KiB|MiB|GiB)$/.test(document.querySelector(`${sel} td:nth-child(${col})`)?.textContent ?? ''),
    { timeout: 20_000 },
    row('worker'),
    MEMORY_COLUMN,
  );
  expect(await cellText('worker', 7)).toMatch(/^\d+\.\d%$/);
}, 30_000);

test('a killed service turns failed on the page as it happens', async () => {
  const pid = (await d.daemon.service(config, 'worker')).pid as number;
  process.kill(pid, 'SIGKILL');
  await page.waitForSelector(`${row('worker')}[data-status="failed"]`);
  expect(await page.$eval(`${row('worker')} td.reason`, (td) => td.textContent)).toMatch(/SIGKILL/);
}, 30_000);

test("a service's restart button gives it a new pid", async () => {
  const before = await cellText('web', PID_COLUMN);
  await page.click(`${row('web')} button[data-action="restart"]`);
  await page.waitForFunction(
    (sel, old) => {
      const tr = document.querySelector(sel) as HTMLElement | null;
      const pid = tr?.querySelector('td:nth-child(3)')?.textContent ?? '';
      return tr?.dataset.status === 'running' && /^\d+$/.test(pid) && pid !== old;
    },
    {},
    row('web'),
    before,
  );
  const after = await cellText('web', PID_COLUMN);
  expect(after).toBe(String((await d.daemon.service(config, 'web')).pid));
}, 30_000);

test('the config-level start button starts what is not running', async () => {
  await page.click(`article.config > header button[data-action="start"]`);
  await page.waitForSelector(`${row('worker')}[data-status="running"]`);
}, 30_000);

test('an edited config file is shown as stale', async () => {
  d.daemon.writeConfig(`${readFileSync(config, 'utf8')}# edited\n`);
  // The page refreshes configs every few seconds (status changes come live; staleness is polled).
  await page.waitForSelector('.note.stale', { timeout: 20_000 });
  expect(await page.$eval('.note.stale', (n) => n.textContent)).toContain('kepler up');
}, 30_000);

test('the log pane follows a service, and search filters its lines', async () => {
  await page.click(`${row('web')} button[data-action="logs"]`);
  await page.waitForFunction(() =>
    (document.querySelector('#logs-lines')?.textContent ?? '').includes('tick web'),
  );
  // New lines keep arriving.
  const count = await page.$$eval('#logs-lines .line', (l) => l.length);
  await page.waitForFunction((n) => document.querySelectorAll('#logs-lines .line').length > n, {}, count);
  await page.type('#logs-search', 'started');
  const visible = await page.$$eval('#logs-lines .line', (lines) =>
    lines.filter((l) => !(l as HTMLElement).hidden).map((l) => l.textContent ?? ''),
  );
  expect(visible.length).toBeGreaterThan(0);
  for (const line of visible) expect(line).toContain('started web');
  expect(await page.$$eval('#logs-lines mark', (m) => m.length)).toBeGreaterThan(0);
}, 30_000);

test("the log pane shows each line's time in the browser's time zone, as `kepler logs` does in the machine's", async () => {
  // India: +05:30 all year, so a UTC clock never matches it.
  await page.emulateTimezone('Asia/Kolkata');
  try {
    await page.click(`${row('web')} button[data-action="logs"]`);
    await page.waitForFunction(() => document.querySelectorAll('#logs-lines .line .ts').length > 3);
    const shown = await page.$$eval('#logs-lines .line .ts', (spans) =>
      spans.map((s) => s.textContent ?? ''),
    );
    const stored = (await call(d, `/api/v1/logs?services=web&tail=2000`)).body.lines as { ts: string }[];
    const india = new Set(
      stored.map((l) => new Date(Date.parse(l.ts) + 330 * 60_000).toISOString().slice(11, 23)),
    );
    for (const clock of shown) expect(india).toContain(clock);
  } finally {
    await page.emulateTimezone();
  }
}, 30_000);

test('a refresh keeps the focused button and a selection on the page', async () => {
  const stop = `${row('web')} button[data-action="stop"]`;
  await page.focus(stop);
  const pid = await page.$eval(`${row('web')} td:nth-child(${PID_COLUMN})`, (td) => {
    const range = document.createRange();
    range.selectNodeContents(td);
    getSelection()!.removeAllRanges();
    getSelection()!.addRange(range);
    return td.textContent ?? '';
  });
  expect(pid).toMatch(/^\d+$/);
  // The header's daemon uptime is rewritten by each refresh (every few seconds): wait for one.
  const before = await page.$eval('#daemon', (n) => n.textContent);
  await page.waitForFunction((old) => document.querySelector('#daemon')!.textContent !== old, {}, before);
  expect(await page.evaluate((sel) => document.activeElement === document.querySelector(sel), stop)).toBe(
    true,
  );
  expect(await page.evaluate(() => getSelection()!.toString())).toBe(pid);
}, 30_000);

test('a new config of many services costs the page a few refreshes, not one per event', async () => {
  const names = Array.from({ length: 40 }, (_, i) => `many-${i}`);
  const many = d.daemon.writeConfig(
    `services:\n${names.map((n) => `  ${n}:\n    command: ["true"]\n`).join('')}`,
    'many.kepler.yaml',
  );
  let refreshes = 0;
  const count = (r: { url(): string }) => {
    if (new URL(r.url()).pathname === '/api/v1/services') refreshes++;
  };
  page.on('request', count);
  const began = Date.now();
  try {
    expect((await d.daemon.cli(['start', '-d', '-f', many])).code).toBe(0);
    // Every one has started and exited (status changes the page got live, each for a row it did not have).
    await page.waitForFunction(
      (n) =>
        Array.from(document.querySelectorAll<HTMLElement>('tr[data-service^="many-"]')).filter(
          (tr) => tr.dataset.status !== 'running' && tr.dataset.status !== 'starting',
        ).length === n,
      { timeout: 20_000 },
      names.length,
    );
  } finally {
    page.off('request', count);
  }
  expect(refreshes).toBeGreaterThan(0);
  // A few for the new rows, plus the page's own one every 5 s (a loaded machine may take a while).
  expect(refreshes).toBeLessThanOrEqual(4 + Math.ceil((Date.now() - began) / 5000));
}, 30_000);

test('with many services, opening a log scrolls the pane into view', async () => {
  await page.waitForSelector(row('many-39'));
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.click(`${row('worker')} button[data-action="logs"]`);
  // Its header (title, search) is on screen.
  await page.waitForFunction(
    () => {
      const r = document.querySelector('#logs-search')!.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    },
    { timeout: 10_000 },
  );
  expect(await page.$eval('#logs-title', (n) => n.textContent)).toBe('worker');
}, 30_000);

test('a refresh answered before a live status change does not undo it on the page', async () => {
  await page.waitForSelector(`${row('worker')}[data-status="running"]`);
  // What the daemon answered before the kill, delivered to the page's next refresh after it.
  const before = await call(d, '/api/v1/services');
  let held: HTTPRequest | null = null;
  const hold = (r: HTTPRequest) => {
    if (held === null && new URL(r.url()).pathname === '/api/v1/services') held = r;
    else void r.continue();
  };
  await page.setRequestInterception(true);
  page.on('request', hold);
  try {
    const refresh = await waitFor(() => held, 'the next refresh', { timeoutMs: 15_000 });
    process.kill((await d.daemon.service(config, 'worker')).pid as number, 'SIGKILL');
    await page.waitForSelector(`${row('worker')}[data-status="failed"]`);
    // That refresh's other answers are in; the header changes once it renders.
    const header = await page.$eval('#daemon', (n) => n.textContent);
    await refresh.respond({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify(before.body),
    });
    await page.waitForFunction((old) => document.querySelector('#daemon')!.textContent !== old, {}, header);
  } finally {
    page.off('request', hold);
    await page.setRequestInterception(false);
  }
  expect(await page.$eval(row('worker'), (tr) => (tr as HTMLElement).dataset.status)).toBe('failed');
}, 30_000);

test('a long or many-line health output neither widens the page nor makes its row a page tall', async () => {
  const noisy = d.daemon.writeConfig(
    `services:
  blob:
    command: ["sleep", "300"]
    stop_grace_period: 1s
    healthcheck: { test: ["sh", "-c", "head -c 3000 /dev/zero | tr -c y y; exit 1"], interval: 1s, retries: 1 }
  chatty:
    command: ["sleep", "300"]
    stop_grace_period: 1s
    healthcheck: { test: ["sh", "-c", "seq 1 300 | sed 's/^/error line /'; exit 1"], interval: 1s, retries: 1 }
`,
    'noisy.kepler.yaml',
  );
  expect((await d.daemon.cli(['start', '-d', '-f', noisy])).code).toBe(0);
  for (const name of ['blob', 'chatty']) {
    await page.waitForFunction(
      (sel) => (document.querySelector(`${sel} td.reason`)?.textContent ?? '').length > 1000,
      { timeout: 20_000 },
      row(name),
    );
  }
  const layout = await page.evaluate(
    (blob, chatty) => ({
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      blob: document.querySelector(blob)!.getBoundingClientRect().height,
      chatty: document.querySelector(chatty)!.getBoundingClientRect().height,
      title: (document.querySelector(`${chatty} td.reason`) as HTMLElement).title,
    }),
    row('blob'),
    row('chatty'),
  );
  expect(layout.overflow).toBeLessThanOrEqual(0);
  expect(layout.blob).toBeLessThan(120);
  expect(layout.chatty).toBeLessThan(120);
  expect(layout.title).toContain('error line 300');
  expect((await d.daemon.cli(['stop', '-f', noisy])).code).toBe(0);
}, 30_000);

test("a line's terminal colour codes are not shown in the log pane, nor found by a search", async () => {
  const colour = d.daemon.writeConfig(
    `services:\n  colour:\n    command: ['printf', '\\033[1;31mred alert\\033[0m done\\n']\n`,
    'colour.kepler.yaml',
  );
  expect((await d.daemon.cli(['start', '-d', '-f', colour])).code).toBe(0);
  // Its row comes with the page's next refresh (a new config's first event asks for one).
  await page.waitForSelector(row('colour'));
  await page.click(`${row('colour')} button[data-action="logs"]`);
  await page.$eval('#logs-search', (i) => {
    (i as HTMLInputElement).value = '';
  });
  await page.type('#logs-search', 'red');
  await page.waitForFunction(() => document.querySelectorAll('#logs-lines .line').length > 0);
  const line = await page.$eval('#logs-lines .line', (l) => l.textContent ?? '');
  expect(line).toMatch(/red alert done$/);
  expect(line).not.toContain('\x1b');
  await page.$eval('#logs-search', (i) => {
    (i as HTMLInputElement).value = '';
  });
  await page.type('#logs-search', '[0m');
  expect(
    await page.$$eval('#logs-lines .line', (l) => l.filter((x) => !(x as HTMLElement).hidden).length),
  ).toBe(0);
}, 30_000);

test('another local server the browser visits gets no cookie and no key, and the key replayed as a cookie is refused', async () => {
  const key = await page.evaluate(() => localStorage.getItem('kepler.session'));
  expect(key).toMatch(/^[A-Za-z0-9_-]+$/);
  // Any web server on 127.0.0.1 (a service's, run by an unprivileged user) that the user opens.
  const seen: IncomingHttpHeaders[] = [];
  const other = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>other</title><p>another server</p>');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const tab = await browser.newPage();
  try {
    await tab.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
    expect(seen.length).toBeGreaterThan(0);
    for (const headers of seen) {
      expect(headers.cookie).toBeUndefined();
      expect(JSON.stringify(headers)).not.toContain(key);
    }
    // Its page cannot read the dashboard's storage (another port is another origin).
    expect(await tab.evaluate(() => localStorage.getItem('kepler.session'))).toBeNull();
    // Nor open the daemon's stream with what the browser sends on its own.
    const opened = await tab.evaluate(
      (url) =>
        new Promise<boolean>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve(true);
          ws.onclose = () => resolve(false);
        }),
      `${d.url.replace(/^http/, 'ws')}/api/v1/events`,
    );
    expect(opened).toBe(false);
  } finally {
    await tab.close();
    other.close();
  }
  // Had it the key as a cookie, with a forged Origin, it is refused; the key itself is live.
  const host = new URL(d.url).host;
  for (const cookie of [`kepler_session=${key}`, `${key}`]) {
    const r = await call(d, '/api/v1/services', {
      token: null,
      headers: { Cookie: cookie, Origin: `http://${host}` },
    });
    expect(r.status).toBe(401);
  }
  expect(
    (await call(d, '/api/v1/services', { token: null, headers: { Authorization: `Session ${key}` } })).status,
  ).toBe(200);
}, 30_000);

test('a browser without the key, or with one the daemon refuses, is shown "Log in"', async () => {
  // Another profile: nothing of the logged-in page's storage.
  const context = await browser.createBrowserContext();
  try {
    const fresh = await context.newPage();
    await fresh.goto(`${d.url}/`);
    await fresh.waitForSelector('#login');
    expect(await fresh.$eval('#login h1', (h) => h.textContent)).toBe('Log in to the Kepler dashboard');
    // A key the daemon does not know (a session from before it restarted: they live in its memory).
    const stale = await context.newPage();
    const asked: string[] = [];
    stale.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await stale.goto(`${d.url}/#session=notakey`);
    await stale.waitForSelector('#login');
    expect(await stale.evaluate(() => [location.hash, localStorage.getItem('kepler.session')])).toEqual([
      '',
      null,
    ]);
    expect(asked).toContain('/api/v1/status');
  } finally {
    await context.close();
  }
  // The logged-in page is still logged in.
  await page.waitForSelector('#live.on');
}, 30_000);
