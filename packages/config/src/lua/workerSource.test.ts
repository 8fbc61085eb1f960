import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LUA_WORKER_SOURCE } from './workerSource.js';

const luauUrl = pathToFileURL(createRequire(import.meta.url).resolve('luau-web')).href;

/** Starts the worker code as given, evaluates `return 40 + 2`, and returns the result message. */
function roundTrip(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (message: { type: string }) => {
      if (message.type === 'ready') {
        worker.postMessage({
          type: 'eval',
          id: 1,
          code: 'return 40 + 2',
          file: null,
          chunk: '=test',
          pad: 0,
          ctx: { env: {}, envFile: {}, serviceName: null, hookName: null },
        });
      } else if (message.type === 'result') resolve(message);
      else if (message.type === 'fatal') reject(new Error(JSON.stringify(message)));
    });
  });
}

describe('LUA_WORKER_SOURCE', () => {
  const workerData = { luauUrl, configDir: process.cwd(), sysEnv: { A: '1' } };

  // A parent started with `--input-type=module` makes eval workers ES modules: the code must not use
  // `require`. Both module systems are exercised here.
  it.each([
    ['CommonJS (eval)', () => new Worker(LUA_WORKER_SOURCE, { eval: true, workerData })],
    [
      'ES module (data: URL)',
      () =>
        new Worker(new URL(`data:text/javascript,${encodeURIComponent(LUA_WORKER_SOURCE)}`), { workerData }),
    ],
  ])('runs as %s', async (_name, start) => {
    const worker = start();
    try {
      expect(await roundTrip(worker)).toEqual({ type: 'result', id: 1, ok: true, value: 42 });
    } finally {
      await worker.terminate();
    }
  });
});
