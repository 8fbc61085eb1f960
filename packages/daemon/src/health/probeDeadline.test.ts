import { manualClock } from './__tests__/support.js';
import { ABORTED_OUTPUT, armDeadline, settleWithin } from './probeDeadline.js';

/** Arms a deadline on the manual clock and records which end fired: `timeout` or `abort`. */
function armed(signals: AbortSignal[]) {
  const { clock, timers, fireTimers } = manualClock();
  const fired: string[] = [];
  const disarm = armDeadline(
    100,
    signals,
    { timeout: () => fired.push('timeout'), abort: () => fired.push('abort') },
    clock,
  );
  return { fired, disarm, timers, fireTimers };
}

describe('armDeadline', () => {
  test('the timeout fires once; a later abort is ignored', () => {
    const ac = new AbortController();
    const d = armed([ac.signal]);
    d.fireTimers();
    ac.abort();
    expect(d.fired).toEqual(['timeout']);
  });

  test('an abort of any signal fires once and clears the timer', () => {
    const first = new AbortController();
    const second = new AbortController();
    const d = armed([first.signal, second.signal]);
    second.abort();
    first.abort();
    expect(d.fired).toEqual(['abort']);
    expect(d.timers.size).toBe(0);
  });

  test('a signal aborted already fires the abort at once and arms no timer', () => {
    const ac = new AbortController();
    ac.abort();
    const d = armed([ac.signal]);
    expect(d.fired).toEqual(['abort']);
    expect(d.timers.size).toBe(0);
  });

  test('after disarm nothing fires', () => {
    const ac = new AbortController();
    const d = armed([ac.signal]);
    d.disarm();
    ac.abort();
    d.fireTimers();
    expect(d.fired).toEqual([]);
  });
});

describe('settleWithin', () => {
  test('settles with the first report, releases once, and cuts the output to its tail', async () => {
    let releases = 0;
    const r = await settleWithin(1000, undefined, 'late', (finish) => {
      setImmediate(() => {
        finish({ ok: false, output: `${'z'.repeat(5000)}END` });
        finish({ ok: true, output: 'second' });
      });
      return () => releases++;
    });
    expect(r.ok).toBe(false);
    expect(r.output).toHaveLength(4096);
    expect(r.output.endsWith('END')).toBe(true);
    expect(releases).toBe(1);
  });

  test('an abort settles it with the aborted output and releases the work', async () => {
    const ac = new AbortController();
    let released = false;
    const pending = settleWithin(1000, ac.signal, 'late', () => () => {
      released = true;
    });
    ac.abort();
    expect(await pending).toEqual({ ok: false, output: ABORTED_OUTPUT });
    expect(released).toBe(true);
  });

  test('work that reports at once is released and arms nothing', async () => {
    let released = false;
    const r = await settleWithin(1000, undefined, 'late', (finish) => {
      finish({ ok: true, output: 'at once' });
      return () => {
        released = true;
      };
    });
    expect(r).toEqual({ ok: true, output: 'at once' });
    expect(released).toBe(true);
  });
});
