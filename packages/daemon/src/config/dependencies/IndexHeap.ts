/**
 * A binary heap of small non-negative integers (positions in a config's service order), smallest
 * first or largest first: the graph orders in dependencies.ts pick "the earliest (or latest) service
 * free to go" in O(log n) instead of scanning every remaining service.
 */
export class IndexHeap {
  private readonly items: number[] = [];

  constructor(private readonly order: 'min' | 'max') {}

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const a = this.items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  /** Removes and returns the first value; undefined when empty. */
  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  private before(x: number, y: number): boolean {
    return this.order === 'min' ? x < y : x > y;
  }
}
