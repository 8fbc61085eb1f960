import { signalName, signalNumber } from './signals.js';

describe('signals', () => {
  test('names and numbers round-trip', () => {
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(29)).toBe('SIGIO');
    expect(signalName(99)).toBe('SIG99');
    for (const s of ['SIGTERM', 'TERM', 'sigterm', 'term', '15', ' SIGTERM '])
      expect(signalNumber(s)).toBe(15);
    expect(signalNumber('SIGKILL')).toBe(9);
    expect(signalNumber('HUP')).toBe(1);
  });

  test('unknown signals throw UNKNOWN_SIGNAL', () => {
    expect(() => signalNumber('SIGNOPE')).toThrow(expect.objectContaining({ code: 'UNKNOWN_SIGNAL' }));
    expect(() => signalNumber('999')).toThrow(/unknown signal: 999/);
    expect(() => signalNumber('')).toThrow(/unknown signal/);
  });
});
