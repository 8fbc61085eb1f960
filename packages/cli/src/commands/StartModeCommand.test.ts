import { MAX_WAIT_MS } from '@kepler/protocol';
import { validateStartFlags } from './StartModeCommand.js';

describe('validateStartFlags --timeout', () => {
  const flags = (timeout: string) => validateStartFlags({ detach: true, wait: true, timeout });

  it('takes up to 24 days', async () => {
    expect((await flags('24d')).timeoutMs).toBe(MAX_WAIT_MS);
    expect((await flags('90s')).timeoutMs).toBe(90_000);
  });

  it('refuses a longer one: a Node timer past 2^31-1 ms fires at once, failing the wait immediately', async () => {
    await expect(flags('25d')).rejects.toThrow('--timeout: at most 24d (got "25d")');
    await expect(flags('99999999h')).rejects.toThrow('--timeout: at most 24d (got "99999999h")');
  });
});
