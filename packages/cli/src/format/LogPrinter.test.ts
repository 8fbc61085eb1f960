import type { LogLine } from '@kepler/protocol';
import { LogPrinter } from './LogPrinter.js';

function sink() {
  const chunks: Buffer[] = [];
  return {
    write(chunk: Uint8Array | string) {
      chunks.push(Buffer.from(chunk));
      return true;
    },
    text: () => Buffer.concat(chunks).toString(),
  };
}

const line = (service: string, text: string, hook: string | null = null): LogLine => ({
  ts: 0,
  service,
  hook,
  stream: 'stdout',
  line: new Uint8Array(Buffer.from(text)),
});

describe('LogPrinter', () => {
  it('aligns labels over a batch, and widens for later batches', () => {
    const out = sink();
    const printer = new LogPrinter(out, { mode: 'text', timestamps: false, color: false });
    printer.lines([line('web', 'a'), line('database', 'b')]);
    printer.lines([line('web', 'c', 'pre_start')]);
    printer.lines([line('db', 'd')]);
    expect(out.text()).toBe('web      | a\ndatabase | b\nweb.pre_start | c\ndb            | d\n');
  });

  it('prints one JSON object per line in json mode, and no status lines', () => {
    const out = sink();
    const printer = new LogPrinter(out, { mode: 'json', timestamps: true, color: false });
    printer.lines([line('web', 'a'), line('db', 'b')]);
    printer.status('web', 'running', null);
    const rows = out
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toEqual([
      { ts: '1970-01-01T00:00:00.000Z', service: 'web', stream: 'stdout', line: 'a' },
      { ts: '1970-01-01T00:00:00.000Z', service: 'db', stream: 'stdout', line: 'b' },
    ]);
  });

  it("leaves the time out of lines whose service's logs.timestamp is false, unless forced", () => {
    const hidden = { ...line('quiet', 'b'), timestamp: false };
    const perService = sink();
    new LogPrinter(perService, { mode: 'text', timestamps: undefined, color: false }).lines([
      line('web', 'a'),
      hidden,
    ]);
    expect(perService.text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} web {3}\| a\nquiet \| b\n$/);
    const forced = sink();
    new LogPrinter(forced, { mode: 'text', timestamps: true, color: false }).lines([hidden]);
    expect(forced.text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} quiet \| b\n$/);
  });

  it('marks status lines with `*` where log lines have `|`', () => {
    const out = sink();
    const printer = new LogPrinter(out, { mode: 'text', timestamps: false, color: false });
    printer.status('web', 'failed', 'exit 1');
    printer.lines([line('web', 'boom')]);
    expect(out.text()).toBe('web * failed (exit 1)\nweb | boom\n');
  });
});
