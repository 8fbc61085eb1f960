import type { ConfigActor } from '../../config/ConfigActor.js';
import type { ConfigRegistry } from '../../config/ConfigRegistry.js';
import type { RequestContext } from './HandlerTable.js';
import { stopHandler } from './stop.js';

/** A registry of one actor that records the signal each stop was given. */
function recording() {
  const signals: (string | undefined)[] = [];
  const actor = {
    stop: async (_services: string[], opts: { signal?: string }) => {
      signals.push(opts.signal);
      return { stopped: ['web'], cleaned: false };
    },
  } as unknown as ConfigActor;
  const registry = { get: async () => actor } as unknown as ConfigRegistry;
  return { signals, handler: stopHandler(registry) };
}

const ctx = {} as RequestContext;
const req = (signal?: string) => ({
  type: 'stop' as const,
  config: { path: '/a/kepler.yaml', env: {} },
  services: ['web'],
  clean: false,
  ...(signal === undefined ? {} : { signal }),
});

test('an unknown signal is a BAD_REQUEST before anything is stopped', async () => {
  const { signals, handler } = recording();
  await expect(handler(req('BOGUS'), ctx)).rejects.toMatchObject({
    code: 'BAD_REQUEST',
    message: 'signal: unknown signal: BOGUS',
  });
  expect(signals).toEqual([]);
});

test('a signal given as a number or short name reaches the services by its full name', async () => {
  const { signals, handler } = recording();
  await handler(req('9'), ctx);
  await handler(req('int'), ctx);
  await handler(req(), ctx);
  expect(signals).toEqual(['SIGKILL', 'SIGINT', undefined]);
});
