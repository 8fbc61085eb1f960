// The page's session key. The login link redirects to `/#session=KEY`: a fragment, which a browser
// never sends to any server. The key moves to localStorage, which belongs to this origin alone
// (scheme, host and port: another local server's page cannot read it), and every request sends it
// itself. There is no cookie: a cookie for 127.0.0.1 would go to every port of it.

import { el } from './dom.js';

const STORAGE_KEY = 'kepler.session';

function takeKeyFromAddress() {
  const m = /^#session=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!m) return;
  localStorage.setItem(STORAGE_KEY, m[1]);
  // Out of the address bar and history, where it could be copied or shared.
  history.replaceState(null, '', location.pathname + location.search);
}

takeKeyFromAddress();

/** This page's session key, or null (never logged in, or the session was refused). */
export function sessionKey() {
  return localStorage.getItem(STORAGE_KEY);
}

/** The header that authenticates an API request. */
export function sessionHeaders() {
  const key = sessionKey();
  return key ? { Authorization: `Session ${key}` } : {};
}

/** The subprotocols that authenticate a WebSocket (a browser cannot set its headers). */
export function sessionProtocols() {
  const key = sessionKey();
  return key ? [`kepler-session.${key}`] : [];
}

let loggedOut = false;

/** True once the page has shown its "Log in" state: it asks nothing more. */
/** The close code the daemon ends a stream with when its session expired (HttpApi's SESSION_EXPIRED_CLOSE). */
export const SESSION_EXPIRED_CLOSE = 4401;

export function isLoggedOut() {
  return loggedOut;
}

/**
 * The session was refused (expired, or the daemon restarted: sessions live in its memory) or the page
 * has none: forget the key and show how to log in.
 */
export function showLogin(refusedKey = sessionKey()) {
  // Another tab may have logged in since with a new key: keep that one.
  if (refusedKey !== null && sessionKey() === refusedKey) localStorage.removeItem(STORAGE_KEY);
  loggedOut = true;
  document.body.replaceChildren(
    el(
      'main',
      { className: 'message', id: 'login' },
      el('h1', { textContent: 'Log in to the Kepler dashboard' }),
      el('p', { textContent: 'Run `kepler dashboard` on the machine and open the link it prints.' }),
    ),
  );
}
