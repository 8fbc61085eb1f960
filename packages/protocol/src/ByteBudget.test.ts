import { ByteBudget } from './ByteBudget.js';

describe('ByteBudget', () => {
  it('grants draws up to its limit and refuses the one that would pass it, changing nothing', () => {
    const b = new ByteBudget(100);
    expect(b.tryTake(60)).toBe(true);
    expect(b.tryTake(40)).toBe(true);
    expect(b.usedBytes).toBe(100);
    expect(b.tryTake(1)).toBe(false);
    expect(b.usedBytes).toBe(100);
    b.give(30);
    expect(b.tryTake(31)).toBe(false);
    expect(b.tryTake(30)).toBe(true);
  });

  it('never goes below zero, and rejects a nonsense limit', () => {
    const b = new ByteBudget(10);
    b.give(5);
    expect(b.usedBytes).toBe(0);
    expect(() => new ByteBudget(-1)).toThrow(RangeError);
    expect(() => new ByteBudget(1.5)).toThrow(RangeError);
  });
});
