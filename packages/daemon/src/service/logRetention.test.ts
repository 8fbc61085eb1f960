import type { BakedLogSettings } from '@kepler/config';
import { clearedBy, type RetentionEvent } from './logRetention.js';

type Retention = BakedLogSettings['retention'];
const keepAll: Retention = { onStart: 'retain', onStop: 'retain', onRestart: 'retain', onExit: 'retain' };
const clearAll: Retention = { onStart: 'clear', onStop: 'clear', onRestart: 'clear', onExit: 'clear' };
/** A stop event: a user's stop unless a flag says otherwise. */
const stop = (flags: Partial<Extract<RetentionEvent, { kind: 'stop' }>> = {}): RetentionEvent => ({
  kind: 'stop',
  restarting: false,
  requeue: false,
  shutdown: false,
  ...flags,
});

test('nothing is cleared while every setting retains', () => {
  for (const launch of ['start', 'restart', 'auto'] as const)
    expect(clearedBy(keepAll, { kind: 'launch', launch })).toBeNull();
  expect(clearedBy(keepAll, { kind: 'exit' })).toBeNull();
  expect(clearedBy(keepAll, stop())).toBeNull();
});

test('a user start follows on_start; any other launch (user, propagated or crash restart) on_restart', () => {
  expect(clearedBy(clearAll, { kind: 'launch', launch: 'start' })).toBe('on_start');
  expect(clearedBy(clearAll, { kind: 'launch', launch: 'restart' })).toBe('on_restart');
  expect(clearedBy(clearAll, { kind: 'launch', launch: 'auto' })).toBe('on_restart');
  expect(clearedBy({ ...keepAll, onStart: 'clear' }, { kind: 'launch', launch: 'auto' })).toBeNull();
  expect(clearedBy({ ...keepAll, onRestart: 'clear' }, { kind: 'launch', launch: 'start' })).toBeNull();
});

test('an exit follows on_exit', () => {
  expect(clearedBy({ ...keepAll, onExit: 'clear' }, { kind: 'exit' })).toBe('on_exit');
});

test('a stop follows on_stop, unless it is half of a restart or a propagated requeue', () => {
  const onStop: Retention = { ...keepAll, onStop: 'clear' };
  expect(clearedBy(onStop, stop())).toBe('on_stop');
  expect(clearedBy(onStop, stop({ restarting: true }))).toBeNull();
  expect(clearedBy(onStop, stop({ requeue: true }))).toBeNull();
});

test("the daemon's shutdown stopping everything keeps the logs, whatever on_stop says", () => {
  const onStop: Retention = { ...keepAll, onStop: 'clear' };
  expect(clearedBy(onStop, stop({ shutdown: true }))).toBeNull();
  expect(clearedBy(clearAll, stop({ shutdown: true }))).toBeNull();
});
