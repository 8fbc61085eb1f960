import { FRAME_STALL_TIMEOUT_MS, frameStallMsFromEnv, throttledLog } from './clientLimits.js';

describe('frameStallMsFromEnv', () => {
  it('uses the default when the variable is unset or empty', () => {
    expect(frameStallMsFromEnv({})).toEqual({ ms: FRAME_STALL_TIMEOUT_MS });
    expect(frameStallMsFromEnv({ KEPLER_FRAME_STALL_MS: '' })).toEqual({ ms: FRAME_STALL_TIMEOUT_MS });
  });

  it('takes a positive integer of milliseconds', () => {
    expect(frameStallMsFromEnv({ KEPLER_FRAME_STALL_MS: '750' })).toEqual({ ms: 750 });
  });

  it('keeps the default and says why for anything else', () => {
    for (const raw of ['0', '-5', '1.5', '10s', 'abc']) {
      const r = frameStallMsFromEnv({ KEPLER_FRAME_STALL_MS: raw });
      expect(r.ms).toBe(FRAME_STALL_TIMEOUT_MS);
      expect(r.warning).toContain(`KEPLER_FRAME_STALL_MS=${raw}`);
    }
  });
});

describe('throttledLog', () => {
  it('writes at most one line per interval and counts the dropped ones into the next', () => {
    const lines: string[] = [];
    let clock = 0;
    const log = throttledLog(
      (l) => lines.push(l),
      1000,
      () => clock,
    );
    log('a');
    clock = 500;
    log('b');
    log('c');
    clock = 1000;
    log('d');
    clock = 2500;
    log('e');
    expect(lines).toEqual(['a', 'd (and 2 more since the last such line)', 'e']);
  });
});
