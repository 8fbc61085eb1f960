import { colorEnabled, paint, SERVICE_PALETTE, serviceColor, stripAnsi } from './color.js';

describe('colorEnabled', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  it('colours a TTY and not a pipe by default', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
  });

  it('respects NO_COLOR when set to anything non-empty', () => {
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '' })).toBe(true);
  });

  it('honours FORCE_COLOR, even on a pipe and over NO_COLOR; FORCE_COLOR=0 turns colour off', () => {
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled(pipe, { FORCE_COLOR: '' })).toBe(true);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(colorEnabled(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled(tty, { FORCE_COLOR: 'false' })).toBe(false);
  });

  it('does not colour TERM=dumb', () => {
    expect(colorEnabled(tty, { TERM: 'dumb' })).toBe(false);
  });
});

describe('serviceColor', () => {
  it('is pinned: the same name keeps its colour across runs and versions', () => {
    // Changing the hash or the palette recolours every user's logs: do it on purpose, then update this.
    expect(serviceColor('web')).toBe(96);
    expect(serviceColor('db')).toBe(35);
    expect(serviceColor('worker')).toBe(92);
    expect(serviceColor('global')).toBe(34);
  });

  it('depends only on the name, not on the order names are seen', () => {
    const first = ['a', 'b', 'c'].map(serviceColor);
    const reversed = ['c', 'b', 'a'].map(serviceColor).reverse();
    expect(reversed).toEqual(first);
  });

  it('always picks from the palette and spreads names over it', () => {
    const colours = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const c = serviceColor(`svc-${i}`);
      expect(SERVICE_PALETTE).toContain(c);
      colours.add(c);
    }
    expect(colours.size).toBe(SERVICE_PALETTE.length);
  });
});

describe('paint', () => {
  it('wraps in SGR codes only when enabled', () => {
    expect(paint('x', 31, true)).toBe('\x1b[31mx\x1b[0m');
    expect(paint('x', 31, false)).toBe('x');
    expect(stripAnsi(paint('hello', 32, true))).toBe('hello');
  });
});
