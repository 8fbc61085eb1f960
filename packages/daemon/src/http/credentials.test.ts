import {
  ApiCredentials,
  cookieValue,
  LOGIN_CODE_TTL_MS,
  MAX_SESSIONS,
  SESSION_COOKIE,
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
  expect(c.checkSession(`other=1; ${SESSION_COOKIE}=${session}`)).toBe(true);
  expect(c.checkSession(`${SESSION_COOKIE}=${session}x`)).toBe(false);
  const late = c.newLoginCode();
  now += LOGIN_CODE_TTL_MS + 1;
  expect(c.redeem(late)).toBeNull();
  // The oldest session gives way once MAX_SESSIONS are live.
  for (let i = 0; i < MAX_SESSIONS; i++) c.redeem(c.newLoginCode());
  expect(c.checkSession(`${SESSION_COOKIE}=${session}`)).toBe(false);
});

test('cookie values', () => {
  expect(cookieValue('a=1; b = 2', 'b')).toBe('2');
  expect(cookieValue(undefined, 'a')).toBeNull();
  expect(cookieValue('ab=1', 'a')).toBeNull();
});
