import { paint } from './color.js';
import { renderTable, visibleWidth } from './table.js';

describe('renderTable', () => {
  it('left-aligns columns three spaces apart with no trailing spaces', () => {
    const text = renderTable(
      ['NAME', 'STATUS', 'PID'],
      [
        ['web', 'running', '4242'],
        ['database', 'stopped', '-'],
      ],
    );
    expect(text).toBe(
      ['NAME       STATUS    PID', 'web        running   4242', 'database   stopped   -', ''].join('\n'),
    );
  });

  it('prints only the header for no rows', () => {
    expect(renderTable(['A', 'B'], [])).toBe('A   B\n');
  });

  it('measures coloured cells by their visible width', () => {
    const text = renderTable(['S', 'X'], [[paint('failed', 31, true), 'y']]);
    const [, row] = text.split('\n');
    expect(row).toBe(`${paint('failed', 31, true)}   y`);
  });

  it('does not leave trailing spaces when the last cell is empty', () => {
    expect(renderTable(['A', 'B'], [['x', '']])).toBe('A   B\nx\n');
  });
});

describe('visibleWidth', () => {
  it('ignores escape codes and counts code points', () => {
    expect(visibleWidth('\x1b[1;31mab\x1b[0m')).toBe(2);
    expect(visibleWidth('✔ é')).toBe(3);
  });
});
