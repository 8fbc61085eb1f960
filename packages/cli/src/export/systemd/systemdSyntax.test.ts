import {
  commentLines,
  envFileLine,
  escapeSpecifiers,
  execLine,
  quoteExecArg,
  timeSpan,
} from './systemdSyntax.js';
import { parseSystemdVersion } from './systemdVersion.js';

describe('systemd syntax', () => {
  it('leaves plain words bare and quotes the rest with C escapes', () => {
    expect(execLine(['/usr/bin/python3', '-m', 'http.server', '8080', '--bind', '127.0.0.1'])).toBe(
      '/usr/bin/python3 -m http.server 8080 --bind 127.0.0.1',
    );
    expect(quoteExecArg('hello world')).toBe('"hello world"');
    expect(quoteExecArg('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
    expect(quoteExecArg('a\nb\tc\u0001')).toBe('"a\\nb\\tc\\x01"');
    expect(quoteExecArg('')).toBe('""');
  });

  it('doubles % (specifiers) and $ (variable expansion), and escapes a lone ;', () => {
    expect(quoteExecArg('100%')).toBe('100%%');
    expect(quoteExecArg('$HOME')).toBe('"$$HOME"');
    expect(quoteExecArg('echo $A; echo %n')).toBe('"echo $$A; echo %%n"');
    expect(quoteExecArg(';')).toBe('\\;');
    expect(escapeSpecifiers('/srv/50%')).toBe('/srv/50%%');
  });

  it('writes EnvironmentFile lines systemd reads back unchanged', () => {
    expect(envFileLine('A', 'plain')).toBe('A="plain"');
    expect(envFileLine('B', 'q"uo\\te $X `y`')).toBe('B="q\\"uo\\\\te \\$X \\`y\\`"');
    expect(envFileLine('C', "line1\nline2 'single'")).toBe('C="line1\nline2 \'single\'"');
  });

  it('writes time spans systemd parses exactly', () => {
    expect(timeSpan(0)).toBe('0');
    expect(timeSpan(10_000)).toBe('10s');
    expect(timeSpan(1500)).toBe('1500ms');
  });

  it('splits comments at newlines', () => {
    expect(commentLines('a\n\nb')).toEqual(['# a', '#', '# b']);
  });

  it('reads the version from --version', () => {
    expect(parseSystemdVersion('systemd 252 (252.38-1~deb12u1)\n+PAM +AUDIT')).toBe(252);
    expect(parseSystemdVersion('something else')).toBeNull();
  });
});
