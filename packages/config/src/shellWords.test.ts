import { GrammarError } from './grammar.js';
import { splitShellWords } from './shellWords.js';

describe('splitShellWords', () => {
  it.each([
    ['node server.js', ['node', 'server.js']],
    ['  node \t server.js\n--port 80  ', ['node', 'server.js', '--port', '80']],
    ['', []],
    ['   ', []],
    ['echo \'a  b\' "c  d"', ['echo', 'a  b', 'c  d']],
    ["echo ''", ['echo', '']],
    ['echo ""', ['echo', '']],
    ['a"b c"d', ['ab cd']],
    ["it\"'\"s' 'fine", ["it's fine"]],
    ['a\\ b', ['a b']],
    ['a\\\\b', ['a\\b']],
    ['a\\"b', ['a"b']],
    ['"a\\"b"', ['a"b']],
    ['"a\\\\b"', ['a\\b']],
    ['"a\\$b"', ['a$b']],
    ['"a\\nb"', ['a\\nb']],
    ["'a\\b'", ['a\\b']],
    ['a\\\nb', ['ab']],
    ['"a\\\nb"', ['ab']],
    ['echo $HOME ~ *.js', ['echo', '$HOME', '~', '*.js']],
    ['a | b && c > d', ['a', '|', 'b', '&&', 'c', '>', 'd']],
    ['sh -c "echo $X; exit 1"', ['sh', '-c', 'echo $X; exit 1']],
  ])('%j -> %j', (input, words) => {
    expect(splitShellWords(input)).toEqual(words);
  });

  it.each([
    ['echo "unclosed', 'unclosed double quote (the " at character 6)'],
    ["echo 'x", "unclosed single quote (the ' at character 6)"],
    ['echo "a\\"', 'unclosed double quote (the " at character 6)'],
    ['echo \\', 'ends with a lone backslash (write \\\\ for one)'],
  ])('%j is an error: %s', (input, message) => {
    expect(() => splitShellWords(input)).toThrow(new GrammarError(message));
  });
});
