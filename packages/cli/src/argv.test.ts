import { preprocessArgv } from './argv.js';
import { UsageError } from './errors.js';

describe('preprocessArgv', () => {
  it('moves -f FILE before the command to after it', () => {
    expect(preprocessArgv(['-f', 'app.yaml', 'start', '-d'])).toEqual(['start', '-d', '--file=app.yaml']);
  });

  it('gives the same result wherever -f stands', () => {
    const expected = ['start', '-d', '--file=app.yaml'];
    expect(preprocessArgv(['start', '-d', '-f', 'app.yaml'])).toEqual(expected);
    expect(preprocessArgv(['start', '-f', 'app.yaml', '-d'])).toEqual(expected);
    expect(preprocessArgv(['-f', 'app.yaml', 'start', '-d'])).toEqual(expected);
  });

  it('accepts --file FILE, --file=FILE and -fFILE', () => {
    expect(preprocessArgv(['--file', 'a.yaml', 'ps'])).toEqual(['ps', '--file=a.yaml']);
    expect(preprocessArgv(['--file=a.yaml', 'ps'])).toEqual(['ps', '--file=a.yaml']);
    expect(preprocessArgv(['-fa.yaml', 'ps'])).toEqual(['ps', '--file=a.yaml']);
    expect(preprocessArgv(['ps', '-f./x/k.yml'])).toEqual(['ps', '--file=./x/k.yml']);
    expect(preprocessArgv(['-f=x.yaml', 'ps'])).toEqual(['ps', '--file=x.yaml']);
  });

  it('keeps a negative count after --tail / --head as their value, for the command to refuse', () => {
    expect(preprocessArgv(['logs', '--tail', '-1'])).toEqual(['logs', '--tail=-1']);
    expect(preprocessArgv(['logs', '--head', '-5', 'web'])).toEqual(['logs', '--head=-5', 'web']);
    expect(preprocessArgv(['logs', '--tail', '5'])).toEqual(['logs', '--tail', '5']);
  });

  it('keeps a file name that starts with a dash', () => {
    expect(preprocessArgv(['-f', '-weird.yaml', 'ps'])).toEqual(['ps', '--file=-weird.yaml']);
  });

  it('moves -v/--verbose too', () => {
    expect(preprocessArgv(['-v', 'daemon', 'status'])).toEqual(['daemon', 'status', '--verbose']);
    expect(preprocessArgv(['--verbose', '-f', 'k.yaml', 'ps', '--all'])).toEqual([
      'ps',
      '--all',
      '--file=k.yaml',
      '--verbose',
    ]);
  });

  it('leaves other options and positionals in order', () => {
    expect(preprocessArgv(['logs', '--tail', '5', 'web', 'db'])).toEqual([
      'logs',
      '--tail',
      '5',
      'web',
      'db',
    ]);
    expect(preprocessArgv(['--help'])).toEqual(['--help']);
  });

  it('does not touch arguments after --', () => {
    expect(preprocessArgv(['-f', 'k.yaml', 'start', '--', '-f', 'x'])).toEqual([
      'start',
      '--file=k.yaml',
      '--',
      '-f',
      'x',
    ]);
  });

  it('rejects -f without a value, pointing to --follow for logs', () => {
    expect(() => preprocessArgv(['logs', '-f'])).toThrow(UsageError);
    expect(() => preprocessArgv(['logs', '-f'])).toThrow(
      '-f needs a config file path (to follow logs, use --follow)',
    );
    expect(() => preprocessArgv(['ps', '--file='])).toThrow('--file needs a config file path');
  });

  it('keeps every -f (config, then overlays) in the order given, wherever each stands', () => {
    expect(preprocessArgv(['-f', 'a.yaml', 'start', '-d', '--file=b.yaml', '-fc.yaml'])).toEqual([
      'start',
      '-d',
      '--file=a.yaml',
      '--file=b.yaml',
      '--file=c.yaml',
    ]);
  });
});
