import { getHeapStatistics } from 'node:v8';
import { jest } from '@jest/globals';
import { IdleCollector, loadGc } from './IdleCollector.js';

describe('IdleCollector', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('collects once after a burst of activity goes quiet, not once per request', () => {
    let collections = 0;
    const c = new IdleCollector(200, () => collections++);
    for (let i = 0; i < 20; i++) c.activity();
    jest.advanceTimersByTime(199);
    expect(collections).toBe(0);
    jest.advanceTimersByTime(1);
    expect(collections).toBe(1);
    jest.advanceTimersByTime(10_000); // quiet: nothing more to collect
    expect(collections).toBe(1);
    c.activity();
    jest.advanceTimersByTime(200);
    expect(collections).toBe(2);
  });

  test('activity keeps pushing the collection back while requests keep coming', () => {
    let collections = 0;
    const c = new IdleCollector(200, () => collections++);
    for (let i = 0; i < 50; i++) {
      c.activity();
      jest.advanceTimersByTime(150);
    }
    expect(collections).toBe(0);
    jest.advanceTimersByTime(50);
    expect(collections).toBe(1);
  });

  test('stop cancels a pending collection', () => {
    let collections = 0;
    const c = new IdleCollector(200, () => collections++);
    c.activity();
    c.stop();
    jest.advanceTimersByTime(1000);
    expect(collections).toBe(0);
  });
});

test('V8 full collection is reachable without starting node with --expose-gc', () => {
  const gc = loadGc();
  expect(typeof gc).toBe('function');
  expect(() => gc?.()).not.toThrow();
});

test('reaching it creates no V8 context (one costs the daemon ~1.3 MB for good)', () => {
  const contexts = () => getHeapStatistics().number_of_native_contexts;
  const before = contexts();
  const gc = loadGc();
  expect(contexts()).toBeLessThanOrEqual(before);
  expect(gc).not.toBeNull();
});

test('code compiled after it cannot call V8 runtime functions', () => {
  loadGc();
  expect(() => new Function('return %GetOptimizationStatus(0)')).toThrow("Unexpected token '%'");
});
