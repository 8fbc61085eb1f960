import { formatMs } from './formatMs.js';

test('durations read as written in configs', () => {
  expect(formatMs(250)).toBe('250ms');
  expect(formatMs(2000)).toBe('2s');
  expect(formatMs(1500)).toBe('1.5s');
});
