/**
 * What a schema is: data that knows how to decode a positioned `RawNode` (reporting every problem with
 * its key path and position) and how to describe itself as JSON Schema. The Kepler schema in `schema/`
 * is written once with the kit's combinators; normalisation and the editor schema
 * (`kepler.schema.json`) are both derived from it, so they cannot drift apart. This file holds the
 * interface and the message helpers every combinator shares.
 */
import type { IssueCollector } from '../../issues.js';
import type { RawNode } from '../../parse.js';

/** A JSON Schema fragment (draft-07). */
export type JsonSchema = { readonly [key: string]: unknown };

/** Where decoding reports problems. */
export interface DecodeContext {
  readonly issues: IssueCollector;
}

/**
 * A schema for values of type `T`. `decode` returns undefined when the value is invalid, after reporting
 * why (or silently, for a value whose Lua evaluation already failed); it never throws for bad input.
 */
export interface Schema<T> {
  /** Noun phrase for messages: "a string", "a list of strings". */
  readonly expected: string;
  json(): JsonSchema;
  decode(node: RawNode, path: string, dc: DecodeContext): T | undefined;
}

/** The decoded type of a schema. */
export type Out<S> = S extends Schema<infer T> ? T : never;

export interface Described {
  /** Shown by editors (JSON Schema `description`). */
  readonly description?: string;
}

export function withDescription(json: JsonSchema, opts: Described | undefined): JsonSchema {
  return opts?.description ? { description: opts.description, ...json } : json;
}

/** How a node reads in a message: `"10x"`, `the number 5`, `a map`. */
export function describeNode(node: RawNode): string {
  switch (node.kind) {
    case 'scalar': {
      const { value } = node;
      if (value === null) return 'nothing';
      if (typeof value === 'string')
        return value.length > 60 ? `${JSON.stringify(value.slice(0, 57))}...` : JSON.stringify(value);
      if (typeof value === 'number') return `the number ${node.text ?? value}`;
      return `${value}`;
    }
    case 'map':
      return node.emptyLuaTable ? 'an empty table' : 'a map';
    case 'seq':
      return 'a list';
    default:
      return 'a Lua value';
  }
}

/** Reports `expected X, got Y` (with a hint for numbers where strings belong) and returns undefined. */
export function mismatch(
  schema: { expected: string },
  node: RawNode,
  path: string,
  dc: DecodeContext,
): undefined {
  if (node.kind === 'errored') return undefined;
  let hint = '';
  if (node.kind === 'scalar' && typeof node.value === 'number' && schema.expected.includes('string')) {
    const text = node.text ?? String(node.value);
    hint = node.fromLua ? ` (use tostring(${text}) in Lua)` : ` (quote it: "${text}")`;
  }
  if (node.kind === 'lua') {
    dc.issues.add(path, 'internal error: Lua value was not evaluated', node.pos);
    return undefined;
  }
  dc.issues.add(path, `expected ${schema.expected}, got ${describeNode(node)}${hint}`, node.pos);
  return undefined;
}
