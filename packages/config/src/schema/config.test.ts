import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GLOBAL_HOOK_NAMES, SERVICE_HOOK_NAMES } from '../types.js';
import { KEPLER_JSON_SCHEMA } from './config.js';

const SCHEMA_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'kepler.schema.json');

/** Walks a path through the JSON Schema (test helper: the schema is plain data). */
function at(value: unknown, ...path: string[]): Record<string, unknown> {
  let node = value;
  for (const key of path) node = (node as Record<string, unknown>)[key];
  return node as Record<string, unknown>;
}

describe('KEPLER_JSON_SCHEMA', () => {
  const schema = at(KEPLER_JSON_SCHEMA);

  it('matches packages/config/kepler.schema.json (regenerate with KEPLER_UPDATE_SCHEMA=1)', () => {
    const text = `${JSON.stringify(KEPLER_JSON_SCHEMA, null, 2)}\n`;
    if (process.env.KEPLER_UPDATE_SCHEMA === '1') writeFileSync(SCHEMA_FILE, text);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(text);
  });

  it('describes the top level: services required, x- keys allowed, nothing else', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.required).toEqual(['services']);
    expect(Object.keys(at(schema, 'properties'))).toEqual(['kepler', 'services', 'lua']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(at(schema, 'patternProperties'))).toEqual(['^x-']);
    expect(at(schema, 'properties', 'services', 'propertyNames')).toEqual({
      pattern: '^(?!global$)[a-z0-9_-]+$',
    });
    expect(at(schema, 'properties', 'services', 'additionalProperties')).toEqual({
      $ref: '#/definitions/service',
    });
  });

  it('lists every service key and hook name, from the same schema the validator uses', () => {
    const service = at(schema, 'definitions', 'service');
    expect(Object.keys(at(service, 'properties'))).toEqual([
      'command',
      'working_dir',
      'depends_on',
      'environment',
      'env_file',
      'sys_env',
      'restart',
      'healthcheck',
      'hooks',
      'user',
      'group',
      'logs',
      'limits',
      'stop_signal',
      'stop_grace_period',
      'priority',
      'type',
      'pid_file',
      'start_timeout',
      'stop_command',
      // issue 15 (network.ts)
      'port',
      'hostname',
    ]);
    expect(service.required).toEqual(['command']);
    expect(Object.keys(at(service, 'properties', 'hooks', 'properties'))).toEqual([...SERVICE_HOOK_NAMES]);
    expect(Object.keys(at(schema, 'properties', 'kepler', 'properties', 'hooks', 'properties'))).toEqual([
      ...GLOBAL_HOOK_NAMES,
    ]);
    expect(Object.keys(at(schema, 'definitions', 'hook', 'properties'))).toEqual([
      'run',
      'command',
      'user',
      'group',
      'working_dir',
      'environment',
      'env_file',
    ]);
  });

  it('gives grammar patterns that agree with the parsers', () => {
    const interval = at(
      schema,
      'definitions',
      'service',
      'properties',
      'healthcheck',
      'properties',
      'interval',
    );
    const pattern = new RegExp(String(at(interval, 'anyOf', '0').pattern));
    for (const ok of ['100ms', '10s', '5m', '1h', '1d', '1m30s', '30']) expect(pattern.test(ok)).toBe(true);
    for (const bad of ['10x', 's', '']) expect(pattern.test(bad)).toBe(false);
    const maxSize = at(schema, 'definitions', 'logs', 'properties', 'max_size');
    const sizePattern = new RegExp(String(at(maxSize, 'anyOf', '0').pattern));
    for (const ok of ['50MB', '1g', '512', '16 KB']) expect(sizePattern.test(ok)).toBe(true);
    expect(sizePattern.test('1T')).toBe(false);
  });
});
