import net from 'node:net';
import type { BakedHealthcheck, HealthProbe } from '@kepler/config';
import { closedPort, closeServers, httpServer, listen, waitFor } from './__tests__/support.js';
import { type CommandProbeRunner, HealthMonitor, type ProbeResult } from './HealthMonitor.js';
import { PROBE_KILL_GRACE_MS } from './probeDeadline.js';

function check(probe: HealthProbe, more: Partial<BakedHealthcheck> = {}): BakedHealthcheck {
  return {
    probe,
    intervalMs: 10,
    timeoutMs: 1000,
    retries: 3,
    startPeriodMs: 0,
    onUnhealthy: 'keep',
    startTimeoutMs: null,
    ...more,
  };
}
const cmd: HealthProbe = { kind: 'command', test: ['probe'] };

/** Records every callback as a line: `ok 0`, `fail 2`, `healthy`, `unhealthy`. */
function recorder() {
  const log: string[] = [];
  return {
    log,
    events: {
      onResult: (r: ProbeResult & { failures: number }) => log.push(`${r.ok ? 'ok' : 'fail'} ${r.failures}`),
      onHealthy: () => log.push('healthy'),
      onUnhealthy: () => log.push('unhealthy'),
    },
    count: (line: string) => log.filter((l) => l === line).length,
    results: () => log.filter((l) => l.startsWith('ok') || l.startsWith('fail')).length,
  };
}

/** A runner answering from a script (then repeating the last answer). */
function scripted(answers: boolean[]): CommandProbeRunner & { calls: number } {
  const runner = Object.assign(
    async (): Promise<ProbeResult> => {
      const ok = answers[Math.min(runner.calls, answers.length - 1)] ?? false;
      runner.calls++;
      return { ok, output: ok ? 'fine' : 'broken' };
    },
    { calls: 0 },
  );
  return runner;
}

const monitors: HealthMonitor[] = [];
function monitor(
  c: BakedHealthcheck,
  run: CommandProbeRunner,
  events: ConstructorParameters<typeof HealthMonitor>[2],
) {
  const m = new HealthMonitor(c, run, events);
  monitors.push(m);
  return m;
}
afterEach(() => {
  for (const m of monitors.splice(0)) m.stop();
});

describe('HealthMonitor transitions', () => {
  test('a pass makes it healthy once, not once per check', async () => {
    const rec = recorder();
    const m = monitor(check(cmd), scripted([true]), rec.events);
    expect(m.state).toBe('starting');
    m.start();
    await waitFor(() => rec.results() >= 5, '5 results');
    m.stop();
    expect(rec.log.slice(0, 3)).toEqual(['ok 0', 'healthy', 'ok 0']);
    expect(rec.count('healthy')).toBe(1);
    expect(m.state).toBe('healthy');
  });

  test('`retries` consecutive failures make it unhealthy once; failures keep counting', async () => {
    const rec = recorder();
    const m = monitor(check(cmd, { retries: 3 }), scripted([false]), rec.events);
    m.start();
    await waitFor(() => rec.results() >= 6, '6 results');
    m.stop();
    expect(rec.log.slice(0, 7)).toEqual([
      'fail 1',
      'fail 2',
      'fail 3',
      'unhealthy',
      'fail 4',
      'fail 5',
      'fail 6',
    ]);
    expect(rec.count('unhealthy')).toBe(1);
    expect(m.failures).toBeGreaterThanOrEqual(6);
  });

  test('unhealthy goes back to healthy on a pass, and again', async () => {
    const rec = recorder();
    const script = [true, false, false, true, true, false, false, true];
    const m = monitor(check(cmd, { retries: 2 }), scripted(script), rec.events);
    m.start();
    await waitFor(() => rec.results() >= script.length, 'the script');
    m.stop();
    expect(rec.log.slice(0, 13)).toEqual([
      'ok 0',
      'healthy',
      'fail 1',
      'fail 2',
      'unhealthy',
      'ok 0',
      'healthy',
      'ok 0',
      'fail 1',
      'fail 2',
      'unhealthy',
      'ok 0',
      'healthy',
    ]);
  });

  test('a pass resets the consecutive-failure counter', async () => {
    const rec = recorder();
    const m = monitor(
      check(cmd, { retries: 2 }),
      scripted([false, true, false, true, false, true]),
      rec.events,
    );
    m.start();
    await waitFor(() => rec.results() >= 6, '6 results');
    m.stop();
    expect(rec.log.slice(0, 7)).toEqual(['fail 1', 'ok 0', 'healthy', 'fail 1', 'ok 0', 'fail 1', 'ok 0']);
    expect(rec.count('unhealthy')).toBe(0);
  });

  test('retries: 0 still needs one failure', async () => {
    const rec = recorder();
    const m = monitor(check(cmd, { retries: 0 }), scripted([false]), rec.events);
    m.start();
    await waitFor(() => rec.count('unhealthy') === 1, 'unhealthy');
    expect(rec.log.slice(0, 2)).toEqual(['fail 1', 'unhealthy']);
  });

  test('start() after stop() starts over from starting with a zero count', async () => {
    const rec = recorder();
    const m = monitor(check(cmd, { retries: 1 }), scripted([false]), rec.events);
    m.start();
    await waitFor(() => rec.count('unhealthy') === 1, 'unhealthy');
    m.stop();
    expect(m.state).toBe('unhealthy');
    const before = rec.log.length;
    m.start();
    expect(m.state).toBe('starting');
    expect(m.failures).toBe(0);
    await waitFor(() => rec.count('unhealthy') === 2, 'unhealthy again');
    expect(rec.log.slice(before, before + 2)).toEqual(['fail 1', 'unhealthy']);
  });
});

describe('HealthMonitor scheduling', () => {
  test('failures during start_period do not count; a pass during it counts', async () => {
    const rec = recorder();
    let calls = 0;
    const run: CommandProbeRunner = async () => {
      calls++;
      return { ok: calls >= 6, output: '' };
    };
    const m = monitor(check(cmd, { startPeriodMs: 100_000, retries: 1 }), run, rec.events);
    m.start();
    await waitFor(() => rec.results() >= 6, 'six results');
    m.stop();
    // Five failures inside the grace period left it starting; the sixth probe passed.
    expect(rec.log.filter((e) => e === 'unhealthy')).toEqual([]);
    expect(rec.log).toContain('healthy');
  });

  test('after start_period, failures count', async () => {
    const rec = recorder();
    const run: CommandProbeRunner = async () => ({ ok: false, output: 'no' });
    const m = monitor(check(cmd, { startPeriodMs: 30, retries: 2 }), run, rec.events);
    m.start();
    await waitFor(() => rec.log.includes('unhealthy'), 'unhealthy');
    m.stop();
  });

  test('never runs two probes at once; the interval counts from the end of a probe', async () => {
    const spans: { start: number; end: number }[] = [];
    let active = 0;
    let maxActive = 0;
    const run: CommandProbeRunner = async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      const start = Date.now();
      await new Promise((r) => setTimeout(r, 40)); // the probe's own work, longer than the interval
      spans.push({ start, end: Date.now() });
      active--;
      return { ok: true, output: '' };
    };
    const m = monitor(check(cmd, { intervalMs: 25 }), run, recorder().events);
    m.start();
    await waitFor(() => spans.length >= 4, '4 probes');
    m.stop();
    expect(maxActive).toBe(1);
    for (let i = 1; i < spans.length; i++) {
      const gap = (spans[i]?.start ?? 0) - (spans[i - 1]?.end ?? 0);
      expect(gap).toBeGreaterThanOrEqual(24); // timers may round down by a millisecond
    }
  });

  test('a probe past the timeout fails and is aborted', async () => {
    const rec = recorder();
    const outputs: string[] = [];
    const signals: AbortSignal[] = [];
    // Reports only once aborted, the way a runner that kills its command does.
    const run: CommandProbeRunner = (_test, _timeoutMs, signal) =>
      new Promise((resolve) => {
        if (signal) signals.push(signal);
        signal?.addEventListener('abort', () => resolve({ ok: true, output: 'partial output' }));
      });
    const m = monitor(check(cmd, { timeoutMs: 50, retries: 1 }), run, {
      ...rec.events,
      onResult: (r) => {
        outputs.push(r.output);
        rec.events.onResult(r);
      },
    });
    const started = Date.now();
    m.start();
    await waitFor(() => rec.count('unhealthy') === 1, 'unhealthy');
    expect(Date.now() - started).toBeGreaterThanOrEqual(49);
    expect(outputs[0]).toBe('partial output\nhealth check timed out after 50 ms');
    expect(signals[0]?.aborted).toBe(true);
  });

  test(
    'a runner that never settles cannot stall the checks',
    async () => {
      const rec = recorder();
      let calls = 0;
      const run: CommandProbeRunner = () => {
        calls++;
        return new Promise(() => {});
      };
      const m = monitor(check(cmd, { timeoutMs: 30 }), run, rec.events);
      m.start();
      await waitFor(() => calls >= 2, 'a second probe', PROBE_KILL_GRACE_MS + 2000);
      expect(rec.log[0]).toBe('fail 1');
    },
    PROBE_KILL_GRACE_MS + 5000,
  );

  test('a runner that throws counts as a failure', async () => {
    const rec = recorder();
    const outputs: string[] = [];
    const run: CommandProbeRunner = async () => {
      throw new Error('spawn EACCES');
    };
    const m = monitor(check(cmd), run, { ...rec.events, onResult: (r) => outputs.push(r.output) });
    m.start();
    await waitFor(() => outputs.length >= 1, 'a result');
    expect(outputs[0]).toBe('health check could not run: spawn EACCES');
  });

  test('output is cut to its last 4 KiB', async () => {
    const outputs: string[] = [];
    const long = `${'x'.repeat(10000)}END`;
    const run: CommandProbeRunner = async () => ({ ok: false, output: long });
    const m = monitor(check(cmd), run, { ...recorder().events, onResult: (r) => outputs.push(r.output) });
    m.start();
    await waitFor(() => outputs.length >= 1, 'a result');
    expect(outputs[0]).toHaveLength(4096);
    expect(outputs[0]?.endsWith('END')).toBe(true);
  });
});

describe('HealthMonitor stop', () => {
  test('an in-flight probe finishing after stop() fires nothing, and no probe follows', async () => {
    const rec = recorder();
    let release: (() => void) | null = null;
    let calls = 0;
    let signal: AbortSignal | undefined;
    const run: CommandProbeRunner = (_t, _ms, s) => {
      calls++;
      signal = s;
      return new Promise((resolve) => {
        release = () => resolve({ ok: true, output: '' });
      });
    };
    const m = monitor(check(cmd), run, rec.events);
    m.start();
    await waitFor(() => release !== null, 'the probe to start');
    m.stop();
    expect(signal?.aborted).toBe(true);
    (release as unknown as () => void)();

    // A second monitor on the same interval is the clock: once it has probed 5 times, the stopped one
    // would have probed again too.
    const clock = recorder();
    monitor(check(cmd), scripted([true]), clock.events).start();
    await waitFor(() => clock.results() >= 5, 'the clock');
    expect(rec.log).toEqual([]);
    expect(calls).toBe(1);
  });

  test('stop() inside onResult suppresses the transition callback', async () => {
    const log: string[] = [];
    const m: HealthMonitor = monitor(check(cmd), scripted([true]), {
      onResult: () => {
        log.push('result');
        m.stop();
      },
      onHealthy: () => log.push('healthy'),
      onUnhealthy: () => log.push('unhealthy'),
    });
    m.start();
    await waitFor(() => log.length >= 1, 'a result');
    const clock = recorder();
    monitor(check(cmd), scripted([true]), clock.events).start();
    await waitFor(() => clock.results() >= 5, 'the clock');
    expect(log).toEqual(['result']);
  });

  test('a throwing callback goes to onError and the checks go on', async () => {
    const errors: unknown[] = [];
    let results = 0;
    const m = monitor(check(cmd), scripted([true]), {
      onResult: () => {
        results++;
      },
      onHealthy: () => {
        throw new Error('boom');
      },
      onUnhealthy: () => {},
      onError: (e) => errors.push(e),
    });
    m.start();
    await waitFor(() => results >= 3, '3 results');
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('boom');
  });
});

// ---------------------------------------------------------------------------------------------------
// The monitor over real http and tcp probes against servers on 127.0.0.1

afterEach(closeServers);

describe('HealthMonitor with http and tcp probes', () => {
  test('follows a server from healthy to unhealthy and back', async () => {
    let status = 200;
    const { port } = await httpServer((_req, res) => {
      res.writeHead(status);
      res.end();
    });
    const rec = recorder();
    const noCommands: CommandProbeRunner = async () => {
      throw new Error('no command probes here');
    };
    const m = monitor(
      check({ kind: 'http', url: `http://127.0.0.1:${port}/` }, { retries: 2 }),
      noCommands,
      rec.events,
    );
    m.start();
    await waitFor(() => rec.count('healthy') === 1, 'healthy');
    status = 500;
    await waitFor(() => rec.count('unhealthy') === 1, 'unhealthy');
    status = 204;
    await waitFor(() => rec.count('healthy') === 2, 'healthy again');
    m.stop();
  });

  test('an http check past its timeout fails', async () => {
    const { port } = await httpServer(() => {});
    const rec = recorder();
    const m = monitor(
      check({ kind: 'http', url: `http://127.0.0.1:${port}/` }, { retries: 1, timeoutMs: 50 }),
      scripted([true]),
      rec.events,
    );
    m.start();
    await waitFor(() => rec.count('unhealthy') === 1, 'unhealthy');
    expect(rec.log[0]).toBe('fail 1');
  });

  test('a tcp check passes once the port listens', async () => {
    const port = await closedPort();
    const rec = recorder();
    const m = monitor(check({ kind: 'tcp', host: '127.0.0.1', port }), scripted([false]), rec.events);
    m.start();
    await waitFor(() => rec.results() >= 1, 'a failing result');
    expect(rec.log[0]).toBe('fail 1');
    await listen(net.createServer(), port);
    await waitFor(() => rec.count('healthy') === 1, 'healthy');
  });
});
