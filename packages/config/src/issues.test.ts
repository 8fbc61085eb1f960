import { didYouMean, editDistance, formatIssue, IssueCollector } from './issues.js';

describe('formatIssue', () => {
  const issue = {
    file: '/proj/kepler.yaml',
    line: 12,
    column: 17,
    path: 'services.web.healthcheck.interval',
    message: '"10x" is not a duration (use 100ms, 10s, 5m, 1h, 1d)',
  };

  it('prints file:line:col path: message', () => {
    expect(formatIssue(issue)).toBe(
      '/proj/kepler.yaml:12:17 services.web.healthcheck.interval: "10x" is not a duration (use 100ms, 10s, 5m, 1h, 1d)',
    );
  });

  it('shows the file relative to cwd when shorter', () => {
    expect(formatIssue(issue, '/proj')).toMatch(/^kepler\.yaml:12:17 services\.web/);
    expect(formatIssue(issue, '/proj/sub')).toMatch(/^\.\.\/kepler\.yaml:12:17/);
    expect(formatIssue(issue, '/elsewhere/deep/down/here')).toMatch(/^\/proj\/kepler\.yaml/);
  });

  it('leaves out a missing position or path', () => {
    expect(formatIssue({ file: 'k.yaml', path: '', message: 'bad' })).toBe('k.yaml: bad');
    expect(formatIssue({ file: 'k.yaml', line: 3, path: 'a.b', message: 'bad' })).toBe('k.yaml:3 a.b: bad');
    expect(formatIssue({ file: 'k.yaml', line: 3, column: 1, path: '', message: 'bad' })).toBe(
      'k.yaml:3:1: bad',
    );
  });
});

describe('did-you-mean', () => {
  it('computes edit distance', () => {
    expect(editDistance('comand', 'command')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests close candidates only', () => {
    expect(didYouMean('comand', ['command', 'working_dir'])).toBe('command');
    expect(didYouMean('helthcheck', ['healthcheck', 'hooks'])).toBe('healthcheck');
    expect(didYouMean('Command', ['command'])).toBe('command');
    expect(didYouMean('xyz', ['command', 'hooks'])).toBeUndefined();
  });
});

describe('IssueCollector', () => {
  it('keeps issues in order with optional positions', () => {
    const issues = new IssueCollector('/k.yaml');
    issues.add('a', 'one', { line: 1, column: 2 });
    issues.add('b', 'two');
    issues.add('c', 'three', { line: 4 });
    expect(issues.issues).toEqual([
      { file: '/k.yaml', line: 1, column: 2, path: 'a', message: 'one' },
      { file: '/k.yaml', path: 'b', message: 'two' },
      { file: '/k.yaml', line: 4, path: 'c', message: 'three' },
    ]);
  });
});
