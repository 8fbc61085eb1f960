import {
  ApiCredentials,
  LOGIN_CODE_TTL_MS,
  MAX_SESSIONS,
  SESSION_PROTOCOL_PREFIX,
  sessionKeyOf,
} from './credentials.js';

const TOKEN = 'a'.repeat(64);

test('the bearer token, exactly', () => {
  const c = ApiCredentials.forToken(TOKEN);
  expect(c.checkBearer(`Bearer ${TOKEN}`)).toBe(true);
  expect(c.checkBearer(`bearer ${TOKEN}`)).toBe(true);
  for (const h of [undefined, '', TOKEN, `Bearer ${TOKEN}a`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`]) {
    expect(c.checkBearer(h)).toBe(false);
  }
});

test('a login code works once and expires; a session lasts; sessions are bounded', () => {
  let now = 1000;
  const c = ApiCredentials.forToken(TOKEN, () => now);
  const code = c.newLoginCode();
  const session = c.redeem(code)!;
  expect(session).toEqual(expect.any(String));
  expect(c.redeem(code)).toBeNull();
  expect(c.checkSession(session)).toBe(true);
  expect(c.checkSession(`${session}x`)).toBe(false);
  expect(c.checkSession(null)).toBe(false);
  expect(c.checkSession('')).toBe(false);
  const late = c.newLoginCode();
  now += LOGIN_CODE_TTL_MS + 1;
  expect(c.redeem(late)).toBeNull();
  // The oldest session gives way once MAX_SESSIONS are live.
  for (let i = 0; i < MAX_SESSIONS; i++) c.redeem(c.newLoginCode());
  expect(c.checkSession(session)).toBe(false);
});

test('a session key comes from `Authorization: Session`, or a WebSocket subprotocol on an upgrade; never a cookie', () => {
  expect(sessionKeyOf({ authorization: 'Session abc_-1' }, false)).toBe('abc_-1');
  expect(sessionKeyOf({ authorization: 'session abc' }, true)).toBe('abc');
  const ws = { 'sec-websocket-protocol': `chat, ${SESSION_PROTOCOL_PREFIX}abc` };
  expect(sessionKeyOf(ws, true)).toBe('abc');
  // Only an upgrade offers subprotocols.
  expect(sessionKeyOf(ws, false)).toBeNull();
  for (const authorization of [undefined, '', 'Bearer abc', 'Session', 'Session a b']) {
    expect(sessionKeyOf({ authorization }, true)).toBeNull();
  }
  const cookie = { cookie: 'kepler_session=abc' };
  expect(sessionKeyOf(cookie, false)).toBeNull();
  expect(sessionKeyOf(cookie, true)).toBeNull();
});
