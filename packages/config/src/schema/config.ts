/**
 * The whole config schema, assembled from its sections (one file each in this folder), and the JSON
 * Schema for editors generated from it.
 */
import { SERVICE_NAME_PATTERN } from '../grammar.js';
import type { DependencyCondition } from '../types.js';
import { hook } from './hooks.js';
import { kepler } from './kepler.js';
import { definitions, type JsonSchema, type Out, object, record, string } from './kit/index.js';
import { logs } from './logs.js';
import { service } from './service.js';

// Defined with the light grammars: `kepler run --name` and the ad-hoc config check names without the pipeline.
export { SERVICE_NAME_PATTERN };

const rootProps = {
  kepler,
  services: record(service, {
    keyPattern: SERVICE_NAME_PATTERN,
    keyHint: 'is not a valid service name (use lowercase letters, digits, _ and -; "global" is reserved)',
    minEntries: 1,
    emptyMessage: 'no services defined',
    description: 'The services, by name ([a-z0-9_-]+).',
  }),
  lua: string({ description: 'Lua (Luau) code run once before any !lua value; define helpers here.' }),
};

/** The whole config schema. */
export const CONFIG_SCHEMA = object(rootProps, {
  required: ['services'],
  extraKeys: /^x-/,
  extraKeysDescription: 'Extension keys (e.g. for YAML anchors); ignored.',
});

/** Stage 2 output: the config decoded and shorthand-normalised, before cross-checks and defaults. */
export type NormalizedConfig = Out<typeof CONFIG_SCHEMA>;
export type { DependencyCondition };

/**
 * The JSON Schema (draft-07) for kepler.yaml, for editors. Generated from `CONFIG_SCHEMA`; it cannot
 * express cross-field rules (dependency names, cycles) or the `!lua` tags.
 */
export const KEPLER_JSON_SCHEMA: JsonSchema = Object.freeze({
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Kepler configuration (kepler.yaml)',
  ...CONFIG_SCHEMA.json(),
  definitions: definitions([hook, logs, service]),
});
