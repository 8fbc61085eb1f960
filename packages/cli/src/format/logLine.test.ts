import type { LogLine } from '@kepler/protocol';
import { formatClock, formatLogLine, logLabel, logLineToJson } from './logLine.js';

const TS = new Date(2024, 0, 2, 3, 4, 5, 6).getTime(); // local time 03:04:05.006

function line(bytes: number[] | string, extra: Partial<LogLine> = {}): LogLine {
  const data = typeof bytes === 'string' ? new Uint8Array(Buffer.from(bytes)) : new Uint8Array(bytes);
  return { ts: TS, service: 'web', hook: null, stream: 'stdout', line: data, ...extra };
}

const plain = { timestamps: true, color: false, raw: false } as const;

describe('formatClock', () => {
  it('renders local time as HH:MM:SS.mmm', () => {
    expect(formatClock(TS)).toBe('03:04:05.006');
  });
});

describe('logLabel', () => {
  it('is the service, or service.hook for hook output (global hooks under "global")', () => {
    expect(logLabel({ service: 'web', hook: null })).toBe('web');
    expect(logLabel({ service: 'web', hook: 'pre_start' })).toBe('web.pre_start');
    expect(logLabel({ service: 'global', hook: 'on_init' })).toBe('global.on_init');
  });
});

describe('formatLogLine', () => {
  it('renders `<time> <service> | <line>`', () => {
    expect(formatLogLine(line('hello'), plain).toString()).toBe('03:04:05.006 web | hello\n');
  });

  it('pads the label to the given width and can omit the time', () => {
    expect(formatLogLine(line('x'), { ...plain, labelWidth: 6 }).toString()).toBe(
      '03:04:05.006 web    | x\n',
    );
    expect(formatLogLine(line('x'), { ...plain, timestamps: false }).toString()).toBe('web | x\n');
  });

  it('labels hook output as service.hook', () => {
    const text = formatLogLine(line('x', { hook: 'post_start' }), plain).toString();
    expect(text).toBe('03:04:05.006 web.post_start | x\n');
  });

  it('copies the line bytes unchanged: invalid UTF-8, \\r and NUL survive', () => {
    const bytes = [0x68, 0x69, 0xff, 0xfe, 0x0d, 0x00];
    const out = formatLogLine(line(bytes), plain);
    const prefix = Buffer.from('03:04:05.006 web | ');
    expect(out.subarray(0, prefix.length).equals(prefix)).toBe(true);
    expect([...out.subarray(prefix.length)]).toEqual([...bytes, 0x0a]);
  });

  it('--raw prints only the bytes and a newline', () => {
    const bytes = [0xc3, 0x28, 0x41];
    expect([...formatLogLine(line(bytes), { ...plain, raw: true })]).toEqual([...bytes, 0x0a]);
  });

  it('colours the service label (stable colour) and dims the time when colour is on', () => {
    const text = formatLogLine(line('x'), { ...plain, color: true }).toString();
    expect(text).toBe('\x1b[2m03:04:05.006\x1b[0m \x1b[96mweb\x1b[0m | x\n');
  });

  it('works on a Uint8Array view into a larger buffer', () => {
    const backing = Buffer.from('xxhello-worldxx');
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, 11);
    expect(formatLogLine(line([], { line: view }), { ...plain, raw: true }).toString()).toBe('hello-world\n');
  });
});

describe('logLineToJson', () => {
  it('has ts as ISO-8601, service, stream and the line decoded as UTF-8', () => {
    expect(logLineToJson(line('héllo'))).toEqual({
      ts: new Date(TS).toISOString(),
      service: 'web',
      stream: 'stdout',
      line: 'héllo',
    });
  });

  it('includes hook only for hook output', () => {
    expect(logLineToJson(line('x'))).not.toHaveProperty('hook');
    expect(logLineToJson(line('x', { hook: 'pre_stop', stream: 'stderr' }))).toMatchObject({
      hook: 'pre_stop',
      stream: 'stderr',
    });
  });

  it('replaces invalid UTF-8 with U+FFFD instead of failing', () => {
    expect(logLineToJson(line([0x61, 0xff, 0x62])).line).toBe('a\uFFFDb');
  });
});
