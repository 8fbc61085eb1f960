import type { ServiceInfo, ServiceStatus, StreamEvent } from '@kepler/protocol';
import { StartProgress } from './StartProgress.js';

function sink(rows?: number) {
  const chunks: string[] = [];
  return { write: (s: string) => chunks.push(s), rows, chunks, text: () => chunks.join('') };
}

const info = { config: '/c.yaml' } as ServiceInfo;
const changed = (service: string, status: ServiceStatus, reason: string | null = null): StreamEvent => ({
  type: 'serviceStatusChanged',
  service,
  status,
  previous: 'stopped',
  reason,
  info,
});

describe('StartProgress on a pipe', () => {
  it('prints one plain line per change, with details in parentheses', () => {
    const out = sink();
    const progress = new StartProgress(out, { live: false, color: false });
    progress.onEvent(changed('db', 'starting'));
    progress.onEvent(changed('api', 'waiting'));
    progress.onEvent({ type: 'progress', service: 'api', message: 'waiting on db (service_healthy)' });
    progress.onEvent(changed('db', 'healthy'));
    progress.onEvent(changed('api', 'failed', 'exit 1'));
    progress.onEvent({ type: 'logLines', lines: [] });
    expect(out.text()).toBe(
      [
        'db: starting',
        'api: waiting',
        'api: waiting (waiting on db (service_healthy))',
        'db: healthy',
        'api: failed (exit 1)',
        '',
      ].join('\n'),
    );
    expect(out.text()).not.toContain('\x1b');
  });

  it('shows config-level hook progress (`global`) without a status', () => {
    const out = sink();
    const progress = new StartProgress(out, { live: false, color: false });
    progress.onEvent({ type: 'progress', service: 'global', message: 'running pre_start hook' });
    expect(out.text()).toBe('global: running pre_start hook\n');
  });
});

describe('StartProgress on a TTY', () => {
  it('redraws one block in place: cursor up over the previous block, clear each line', () => {
    const out = sink(40);
    const progress = new StartProgress(out, { live: true, color: false });
    progress.onEvent(changed('db', 'starting'));
    progress.onEvent(changed('web', 'waiting', 'waiting on db'));
    progress.onEvent(changed('db', 'healthy'));
    expect(out.chunks[0]).toBe('\x1b[2K◐ db  starting\n\x1b[J');
    expect(out.chunks[1]).toBe('\x1b[1F\x1b[2K◐ db   starting\n\x1b[2K○ web  waiting: waiting on db\n\x1b[J');
    expect(out.chunks[2]).toBe('\x1b[2F\x1b[2K✔ db   healthy\n\x1b[2K○ web  waiting: waiting on db\n\x1b[J');
    expect(progress.lines()).toEqual(['✔ db   healthy', '○ web  waiting: waiting on db']);
  });

  it('falls back to plain lines when the block would not fit on the screen', () => {
    const out = sink(2);
    const progress = new StartProgress(out, { live: true, color: false });
    progress.onEvent(changed('a', 'starting'));
    progress.onEvent(changed('b', 'starting'));
    progress.onEvent(changed('c', 'running'));
    expect(out.chunks.slice(1)).toEqual(['b: starting\n', 'c: running\n']);
  });
});
