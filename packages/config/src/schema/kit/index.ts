/** The schema kit: combinators that decode raw nodes and describe themselves as JSON Schema. */
export { list, type ObjectOut, object, type RecordEntry, record } from './collections.js';
export { definitions, type NamedSchema, named } from './definitions.js';
export { boolean, duration, number, oneOf, signal, size, string } from './scalars.js';
export {
  type DecodeContext,
  describeNode,
  type JsonSchema,
  mismatch,
  type Out,
  type Schema,
  withDescription,
} from './schema.js';
export { byKind, nothing, transform } from './variants.js';
