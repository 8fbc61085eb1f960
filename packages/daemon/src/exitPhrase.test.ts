import { exitPhrase } from './exitPhrase.js';

test('an exit code or the signal that killed the process, in one wording', () => {
  expect(exitPhrase({ code: 3, signal: null })).toBe('exited with code 3');
  expect(exitPhrase({ code: 0, signal: null })).toBe('exited with code 0');
  expect(exitPhrase({ code: null, signal: 'SIGKILL' })).toBe('killed by SIGKILL');
});
