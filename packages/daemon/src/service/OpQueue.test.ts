import { OpQueue } from './OpQueue.js';

test('runs operations one at a time in order, and survives a failure', async () => {
  const q = new OpQueue();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const a = q.run(async () => {
    log.push('a start');
    await gate;
    log.push('a end');
  });
  const b = q.run(() => {
    log.push('b');
    throw new Error('boom');
  });
  const c = q.run(() => log.push('c'));
  expect(q.size).toBe(3);
  release();
  await a;
  await expect(b).rejects.toThrow('boom');
  await c;
  expect(log).toEqual(['a start', 'a end', 'b', 'c']);
});
