import { EnvFileSyntaxError, parseEnvFile } from './envFileSyntax.js';

const values = (text: string) =>
  Object.fromEntries(parseEnvFile(text).map((e) => [e.key, e.literal ? `'${e.value}'` : e.value]));

const errorOf = (text: string): { line: number; message: string } => {
  try {
    parseEnvFile(text);
  } catch (e) {
    if (e instanceof EnvFileSyntaxError) return { line: e.line, message: e.message };
    throw e;
  }
  throw new Error('no error');
};

describe('parseEnvFile (docker compose env_file syntax)', () => {
  test('unquoted values: trimmed, # starts a comment only after whitespace', () => {
    expect(values('A=s3cr#t\nB = spaced value  \nC=x # comment\nD=\n# whole line\n\n  E=indented\n')).toEqual(
      {
        A: 's3cr#t',
        B: 'spaced value',
        C: 'x',
        D: '',
        E: 'indented',
      },
    );
  });

  test('single quotes are literal and marked so; double quotes take escapes', () => {
    expect(values(`A='abc$def # kept'\nB="a\\tb\\n\\"c\\" \\\\ \\q"\nC="pa$$word" # note\n`)).toEqual({
      A: "'abc$def # kept'",
      B: 'a\tb\n"c" \\ \\q',
      C: 'pa$$word',
    });
  });

  test('quoted values may span lines, keeping inner spacing', () => {
    expect(values('KEY="line one  \n  line two"\nNEXT=1\n')).toEqual({
      KEY: 'line one  \n  line two',
      NEXT: '1',
    });
    expect(parseEnvFile("A='x\ny'\nB=2").map((e) => [e.key, e.line])).toEqual([
      ['A', 1],
      ['B', 3],
    ]);
  });

  test('export prefix, KEY: value, CRLF, BOM, dots and dashes in keys', () => {
    expect(values('\uFEFFexport A=1\r\nB: two\r\nmy.key-x=3\r\n')).toEqual({
      A: '1',
      B: 'two',
      'my.key-x': '3',
    });
  });

  test('a bare KEY passes the variable on from the environment (value null)', () => {
    expect(parseEnvFile('HOME_DIR\n')).toEqual([{ key: 'HOME_DIR', value: null, literal: false, line: 1 }]);
  });

  test('bad lines are errors with their line number', () => {
    expect(errorOf('A=1\n9LIVES=x\n')).toEqual({ line: 2, message: '"9LIVES" is not a variable name' });
    expect(errorOf('A=1\nthis is not an assignment\n')).toEqual({
      line: 2,
      message: 'expected KEY=value, found "this is not an assignment"',
    });
    expect(errorOf('A=1\nB="never closed\nC=3\n')).toEqual({
      line: 2,
      message: 'B: the " quote is never closed',
    });
    expect(errorOf("A='x' y\n")).toEqual({ line: 1, message: 'A: unexpected "y" after the closing quote' });
  });
});
