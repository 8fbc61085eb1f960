import { httpOptionsFrom, isLoopback, parseHttpAddress } from './httpOptions.js';

test('addresses: HOST:PORT, [V6]:PORT, :PORT and PORT (those two on 127.0.0.1)', () => {
  expect(parseHttpAddress('127.0.0.1:7070')).toEqual({ host: '127.0.0.1', port: 7070 });
  expect(parseHttpAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
  expect(parseHttpAddress(':7070')).toEqual({ host: '127.0.0.1', port: 7070 });
  expect(parseHttpAddress('7070')).toEqual({ host: '127.0.0.1', port: 7070 });
  expect(parseHttpAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
  expect(() => parseHttpAddress('host:99999')).toThrow('a port from 0 to 65535');
  expect(() => parseHttpAddress('::1:80')).toThrow('in brackets');
  expect(() => parseHttpAddress('web')).toThrow('expected HOST:PORT');
});

test('loopback: localhost, 127/8, ::1; nothing else', () => {
  for (const h of ['localhost', '127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1'])
    expect(isLoopback(h)).toBe(true);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1'])
    expect(isLoopback(h)).toBe(false);
});

test('flags first, then the environment; a public address only when allowed', () => {
  expect(httpOptionsFrom({}, {})).toBeNull();
  expect(httpOptionsFrom({ http: '8080' }, { KEPLER_HTTP: '9090' })).toEqual({
    host: '127.0.0.1',
    port: 8080,
    public: false,
  });
  expect(httpOptionsFrom({}, { KEPLER_HTTP: '9090' })?.port).toBe(9090);
  expect(() => httpOptionsFrom({ http: '0.0.0.0:1' }, {})).toThrow('--http-public');
  expect(httpOptionsFrom({ http: '0.0.0.0:1', httpPublic: true }, {})?.public).toBe(true);
  expect(httpOptionsFrom({}, { KEPLER_HTTP: '0.0.0.0:1', KEPLER_HTTP_PUBLIC: '1' })?.public).toBe(true);
});
