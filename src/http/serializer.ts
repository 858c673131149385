import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type SchemaNode = Record<string, unknown>;

function isNode(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNullSchema(value: unknown): boolean {
  return isNode(value) && value.type === 'null' && Object.keys(value).length === 1;
}

/**
 * `anyOf: [S, {type: 'null'}]` (TypeBox's `Union([S, Null()])`) as `{...S, type: [S.type, 'null']}`.
 * fast-json-stringify picks an `anyOf` branch by running Ajv over the value — a whole license
 * validated, date formats included, on every answer — while a type list is one `=== null` test.
 * The answer's bytes are the same; only the serializer's schema changes, not the documented one.
 */
export function nullableAsTypeList(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(nullableAsTypeList);
  if (!isNode(schema)) return schema;
  const node: SchemaNode = {};
  for (const [key, value] of Object.entries(schema)) node[key] = nullableAsTypeList(value);
  const branches = node.anyOf;
  if (!Array.isArray(branches) || branches.length !== 2) return node;
  const nullAt = branches.findIndex(isNullSchema);
  const other: unknown = branches[1 - nullAt];
  if (nullAt < 0 || !isNode(other) || typeof other.type !== 'string' || '$ref' in other) {
    return node;
  }
  const { anyOf: _branches, ...rest } = node;
  return { ...other, ...rest, type: [other.type, 'null'] };
}

/** Fastify's own serializer factory, fed the flattened response schemas. */
export const serializerCompilers: NonNullable<
  FastifyServerOptions['schemaController']
>['compilersFactory'] = {
  buildSerializer(externalSchemas, options) {
    const compile = SerializerSelector()(externalSchemas, options);
    return (route) => compile({ ...route, schema: nullableAsTypeList(route.schema) });
  },
};
