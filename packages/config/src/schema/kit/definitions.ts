/** JSON Schema `definitions`: a schema used in several places is emitted once and referenced by `$ref`. */
import type { JsonSchema, Schema } from './schema.js';

/** A schema that describes itself as a `$ref` to its entry under `definitions`. */
export interface NamedSchema<T> extends Schema<T> {
  readonly definitionName: string;
  /** The schema itself, for its entry under `definitions`. */
  definitionJson(): JsonSchema;
}

/** `schema` under `name`: decoding is unchanged; `json()` is `{$ref: '#/definitions/<name>'}`. */
export function named<T>(name: string, schema: Schema<T>): NamedSchema<T> {
  return {
    ...schema,
    json: () => ({ $ref: `#/definitions/${name}` }),
    definitionName: name,
    definitionJson: () => schema.json(),
  };
}

/** The `definitions` object for these named schemas, in the order given. */
export function definitions(schemas: readonly NamedSchema<unknown>[]): JsonSchema {
  return Object.fromEntries(schemas.map((schema) => [schema.definitionName, schema.definitionJson()]));
}
