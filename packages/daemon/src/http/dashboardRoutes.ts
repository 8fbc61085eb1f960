import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { ApiCredentials } from './credentials.js';
import type { Route } from './routeTable.js';

/**
 * The dashboard's files: `src/http/dashboard/` (plain JS, CSS and HTML: no build, no framework, no
 * CDN), copied beside the bundle as `dist/dashboard/` by bundle.mjs. Both sit at `./dashboard/` from
 * the module that reads them (this file, or the bundle's main.js).
 */
const DASHBOARD_DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));

/** The dashboard's assets: URL path -> file and content type. */
export const DASHBOARD_ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  // Modules app.js imports.
  '/assets/dom.js': { file: 'dom.js', type: 'text/javascript; charset=utf-8' },
  '/assets/logPane.js': { file: 'logPane.js', type: 'text/javascript; charset=utf-8' },
  '/assets/session.js': { file: 'session.js', type: 'text/javascript; charset=utf-8' },
  '/assets/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/** Headers of every page: nothing from elsewhere runs or frames it, and the login code is not leaked. */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** A short HTML page (a spent login link). */
export function sendHtmlMessage(res: ServerResponse, status: number, title: string, message: string): void {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><meta charset="utf-8"><title>Kepler</title><link rel="stylesheet" href="/assets/app.css"><main class="message"><h1>${esc(title)}</h1><p>${esc(message)}</p></main>\n`;
  res.writeHead(status, { ...PAGE_HEADERS, 'Content-Type': 'text/html; charset=utf-8' });
  res.end(html);
}

/**
 * The dashboard's routes: its page and assets, the login link's target, and the minting of login codes.
 * The page and its assets are static and open (a navigation carries no key); the page asks the API
 * for everything with the session key it keeps, and shows "Log in" without one.
 */
export function dashboardRoutes(credentials: ApiCredentials): Route[] {
  const cache = new Map<string, Buffer>();
  const asset = (file: string): Buffer => {
    let data = cache.get(file);
    if (!data) {
      data = readFileSync(`${DASHBOARD_DIR}${file}`);
      cache.set(file, data);
    }
    return data;
  };
  const assetRoutes: Route[] = Object.entries(DASHBOARD_ASSETS).map(([path, a]) => ({
    method: 'GET',
    path,
    auth: 'none',
    doc: {
      summary: path === '/' ? 'The dashboard' : `Dashboard asset (${a.file})`,
      responses: { '200': { description: a.type, ...(path === '/' ? { html: true } : {}) } },
    },
    page: (_call, res) => {
      const data = asset(a.file);
      res.writeHead(200, { ...PAGE_HEADERS, 'Content-Type': a.type, 'Content-Length': data.length });
      res.end(data);
    },
  }));
  return [
    ...assetRoutes,
    {
      method: 'GET',
      path: '/login',
      auth: 'none',
      doc: {
        summary: "Spends a one-time login code (`kepler dashboard`'s link) for a browser session",
        description:
          "Only GET spends the code: a HEAD (a link preview) answers 200 and leaves it. The session key is in the redirect's fragment, which the browser never sends to a server; the page keeps it in its own origin's storage and sends it as `Authorization: Session <key>` (a WebSocket: subprotocol `kepler-session.<key>`). No cookie is set.",
        query: { code: { schema: { type: 'string' }, description: 'The code from POST /api/v1/login-code' } },
        responses: {
          '200': { description: 'A HEAD: the code is left unspent' },
          '303': { description: 'Logged in: to the dashboard, `/#session=<key>`' },
          '401': { description: 'The code was spent or expired', html: true },
        },
      },
      page: ({ params, req }, res) => {
        if (req.method === 'HEAD') {
          res.writeHead(200, { ...PAGE_HEADERS, 'Content-Type': 'text/html; charset=utf-8' });
          res.end();
          return;
        }
        const session = credentials.redeem(params.string('code') ?? '');
        if (session === null) {
          sendHtmlMessage(
            res,
            401,
            'This login link was used or has expired',
            'Run `kepler dashboard` again for a new one.',
          );
          return;
        }
        // In the fragment: a browser never sends it to a server, this one or another port's.
        res.writeHead(303, { ...PAGE_HEADERS, Location: `/#session=${session}` });
        res.end();
      },
    },
    {
      method: 'POST',
      path: '/api/v1/login-code',
      auth: 'bearer',
      doc: {
        summary: 'A one-time code that logs a browser in (what `kepler dashboard` prints as a link)',
        responses: {
          '200': {
            description: 'The code and the path that spends it',
            schema: { type: 'object', properties: { code: { type: 'string' }, path: { type: 'string' } } },
          },
          '400': { description: 'A field it does not take (it takes none)' },
          '401': { description: 'Only the bearer token may ask (a session may not)' },
        },
      },
      json: async () => {
        const code = credentials.newLoginCode();
        return { code, path: `/login?code=${encodeURIComponent(code)}` };
      },
    },
  ];
}
