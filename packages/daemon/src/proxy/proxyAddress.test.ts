import { parseProxyAddress } from './proxyAddress.js';
import { hostOnly } from './ReverseProxy.js';

describe('parseProxyAddress', () => {
  it('takes HOST:PORT, [IPv6]:PORT, :PORT and PORT', () => {
    expect(parseProxyAddress('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseProxyAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseProxyAddress(':9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseProxyAddress('7380')).toEqual({ host: '127.0.0.1', port: 7380 });
  });
  it('refuses anything else with a message', () => {
    expect(parseProxyAddress('localhost')).toBe('proxy address must be HOST:PORT or PORT, got "localhost"');
    expect(typeof parseProxyAddress('1.2.3.4:70000')).toBe('string');
  });
});

describe('hostOnly', () => {
  it('drops the port and a trailing dot, in lower case', () => {
    expect(hostOnly('Web.LocalHost:7380')).toBe('web.localhost');
    expect(hostOnly('web.localhost.')).toBe('web.localhost');
    expect(hostOnly('[::1]:7380')).toBe('[::1]');
  });
});
