import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVICE_STATUSES } from '@kepler/protocol';
import { canTransition, lifecycleDiagram, TRANSITIONS } from './lifecycle.js';

test('every status has a row in the transition table', () => {
  expect(Object.keys(TRANSITIONS).sort()).toEqual([...SERVICE_STATUSES].sort());
});

test('illegal transitions are rejected, staying put is allowed', () => {
  expect(canTransition('stopped', 'running')).toBe(false);
  expect(canTransition('running', 'running')).toBe(true);
  expect(canTransition('running', 'restarting')).toBe(true);
});

test('ARCHITECTURE.md shows the lifecycle generated from the table', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../../ARCHITECTURE.md', import.meta.url)), 'utf8');
  const section = doc.split('<!-- lifecycle:begin -->')[1]?.split('<!-- lifecycle:end -->')[0] ?? '';
  expect(section).toContain(lifecycleDiagram());
});
