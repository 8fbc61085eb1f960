// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal shell expansion syntax
import { ExpansionError, expandVars, layeredLookup } from './expand.js';

const vars = layeredLookup({ NAME: 'World', EMPTY: '', PORT: '8080', NESTED: '${NAME}' });
const expand = (input: string, home = '/home/u') => expandVars(input, vars, home);

describe('expandVars', () => {
  it('expands $VAR and ${VAR}', () => {
    expect(expand('Hello $NAME!')).toBe('Hello World!');
    expect(expand('Hello ${NAME}s')).toBe('Hello Worlds');
    expect(expand('$NAME$PORT')).toBe('World8080');
    expect(expand('http://localhost:${PORT}/x')).toBe('http://localhost:8080/x');
  });

  it('expands an unknown variable to the empty string (documented choice)', () => {
    expect(expand('[$MISSING]')).toBe('[]');
    expect(expand('[${MISSING}]')).toBe('[]');
  });

  it('${VAR:-default} uses the default when unset or empty', () => {
    expect(expand('${MISSING:-fallback}')).toBe('fallback');
    expect(expand('${EMPTY:-fallback}')).toBe('fallback');
    expect(expand('${NAME:-fallback}')).toBe('World');
    expect(expand('${MISSING:-${PORT}}')).toBe('8080');
    expect(expand('${MISSING:-}')).toBe('');
  });

  it('${VAR:+value} uses the value when set and non-empty', () => {
    expect(expand('${NAME:+yes}')).toBe('yes');
    expect(expand('${EMPTY:+yes}')).toBe('');
    expect(expand('${MISSING:+yes}')).toBe('');
    expect(expand('${NAME:+--name=$NAME}')).toBe('--name=World');
  });

  it('the colon-less forms test "unset" only, as in sh and docker compose', () => {
    expect(expand('${MISSING-fallback}')).toBe('fallback');
    expect(expand('${EMPTY-fallback}')).toBe('');
    expect(expand('${NAME-fallback}')).toBe('World');
    expect(expand('${EMPTY+set}')).toBe('set');
    expect(expand('${MISSING+set}')).toBe('');
    expect(expand('${EMPTY?needed}')).toBe('');
  });

  it('${VAR:?message} and ${VAR?message} make a missing variable an error with the message', () => {
    expect(expand('${NAME:?set NAME}')).toBe('World');
    expect(() => expand('${MISSING:?set MISSING to the db host}')).toThrow(
      new ExpansionError('MISSING is not set: set MISSING to the db host'),
    );
    expect(() => expand('${EMPTY:?}')).toThrow(new ExpansionError('EMPTY is empty'));
    expect(() => expand('${MISSING?needed for $NAME}')).toThrow(
      new ExpansionError('MISSING is not set: needed for World'),
    );
  });

  it('$$ is a literal $ and a lone $ stays', () => {
    expect(expand('cost: $$5')).toBe('cost: $5');
    expect(expand('$${NAME}')).toBe('${NAME}');
    expect(expand('a $ b')).toBe('a $ b');
    expect(expand('end$')).toBe('end$');
    expect(expand('$1')).toBe('$1');
  });

  it('does not expand values recursively', () => {
    expect(expand('$NESTED')).toBe('${NAME}');
  });

  it('expands a leading ~ to HOME only', () => {
    expect(expand('~')).toBe('/home/u');
    expect(expand('~/data')).toBe('/home/u/data');
    expect(expand('a/~/b')).toBe('a/~/b');
    expect(expand('~user/x')).toBe('~user/x');
    expect(expandVars('~/x', vars, undefined)).toBe('~/x');
  });

  it('rejects an unterminated or malformed ${', () => {
    expect(() => expand('${NAME')).toThrow(ExpansionError);
    expect(() => expand('${NAME')).toThrow('unterminated ${ in "${NAME"');
    expect(() => expand('${1X}')).toThrow(
      '${1X} in "${1X}" is not a valid expansion (use ${VAR}, ${VAR:-default}, ${VAR:+value} or ${VAR:?message})',
    );
    expect(() => expand('${NAME:=oops}')).toThrow('is not a valid expansion');
  });
});

describe('layeredLookup', () => {
  it('takes the first layer that has the name, including empty values', () => {
    const lookup = layeredLookup({ A: '' }, undefined, { A: 'x', B: 'y' });
    expect(lookup('A')).toBe('');
    expect(lookup('B')).toBe('y');
    expect(lookup('C')).toBeUndefined();
    expect(lookup('toString')).toBeUndefined();
  });
});
