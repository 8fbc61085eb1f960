// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal shell expansion syntax
import { adhocDefinition, defaultName, parseAdhocFile, renderAdhocFile } from './adhocFile.js';

describe('defaultName', () => {
  const none = () => false;
  it('takes the basename of the command in service-name form', () => {
    expect(defaultName(['/usr/bin/sleep', '300'], none)).toBe('sleep');
    expect(defaultName(['./My.App'], none)).toBe('my-app');
    expect(defaultName(['...'], none)).toBe('service');
  });
  it('adds -2, -3 until the name is free, and never gives the reserved global', () => {
    const taken = new Set(['sleep', 'sleep-2']);
    expect(defaultName(['sleep'], (n) => taken.has(n))).toBe('sleep-3');
    expect(defaultName(['global'], none)).toBe('global-2');
  });
});

describe('the file', () => {
  it('round-trips its services in order', () => {
    const services = new Map([
      ['b', { command: ['b'] }],
      ['a', { command: ['a'] }],
    ]);
    const text = renderAdhocFile(services);
    expect(text.startsWith('# ')).toBe(true);
    expect([...parseAdhocFile(text).keys()]).toEqual(['b', 'a']);
  });
  it('refuses a file without a services map', () => {
    expect(() => parseAdhocFile('{"services": []}')).toThrow('no services map');
  });
});

describe('adhocDefinition', () => {
  it('keeps $ literal where the bake expands, and leaves the command alone', () => {
    const def = adhocDefinition(
      {
        command: ['sh', '-c', 'echo $HOME'],
        workingDir: '/srv/$x',
        environment: ['A=$B', 'C=${D}'],
        restart: 'always',
      },
      '1000',
    );
    expect(def).toEqual({
      command: ['sh', '-c', 'echo $HOME'],
      working_dir: '/srv/$$x',
      environment: ['A=$$B', 'C=$${D}'],
      restart: 'always',
      user: '1000',
    });
  });
  it('has no user key for the daemon own user', () => {
    const def = adhocDefinition({ command: ['x'], workingDir: '/', environment: [], restart: 'no' }, null);
    expect('user' in def).toBe(false);
  });
});
