// Shared by the reliability suites: the route list read from the app's own OpenAPI document, the
// error shape of each API surface, valid sample bodies built from the request schemas, and the
// checks every answer must pass (no 5xx, a well-formed error body, no stack trace).
import type { LightMyRequestResponse } from 'fastify';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { AstraProblemSchema } from '../../src/http/compat/astra/problems.js';
import { BlackBerryErrorSchema } from '../../src/http/compat/blackberry/schemas.js';
import { BlueXpErrorSchema } from '../../src/http/compat/bluexp/schemas.js';
import { HpErrorSchema } from '../../src/http/compat/hp/schemas.js';
import { NpErrorSchema } from '../../src/http/compat/netprofiler/schemas.js';
import { ProblemSchema } from '../../src/http/problems.js';
import type { Harness } from '../helpers/harness.js';

export type JsonSchema = Record<string, unknown>;
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
export type Surface = 'native' | 'astra' | 'bluexp' | 'netprofiler' | 'hp' | 'blackberry';

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: Method;
  /** OpenAPI template, e.g. `/v1/licenses/{license}/activate`. */
  path: string;
  params: Parameter[];
  body?: { schema: JsonSchema; contentTypes: string[] };
  responses: string[];
  surface: Surface;
}

/** Every operation of `GET /openapi.json`, the facades included. */
export async function loadOperations(h: Harness): Promise<Operation[]> {
  const response = await h.request({ method: 'GET', url: '/openapi.json', token: null });
  const document = JSON.parse(response.body) as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = ((op.parameters ?? []) as Parameter[]).map((p) => ({
        name: p.name,
        in: p.in,
        required: p.required,
        schema: p.schema,
      }));
      const requestBody = op.requestBody as
        { content: Record<string, { schema?: JsonSchema }> } | undefined;
      const contentTypes = Object.keys(requestBody?.content ?? {});
      const first = contentTypes[0];
      const schema = first === undefined ? undefined : requestBody?.content[first]?.schema;
      operations.push({
        method: method.toUpperCase() as Method,
        path,
        params,
        ...(schema === undefined ? {} : { body: { schema, contentTypes } }),
        responses: Object.keys(op.responses as Record<string, unknown>),
        surface: surfaceOf(path),
      });
    }
  }
  return operations;
}

const SURFACE_PREFIXES: [Surface, RegExp][] = [
  ['astra', /^\/accounts\/[^/]*\/core\/v1(\/|$)/],
  ['bluexp', /^\/license(\/|$)/],
  ['netprofiler', /^\/api\/(mgmt\.licenses\/1\.0|common)(\/|$)/],
  ['hp', /^\/sdn\/v2\.0\/(licenses|auth)(\/|$)/],
  ['blackberry', /^\/[^/]*\/api\/v1(\/|$)/],
];

/**
 * Which surface (and so which error handler) answers a request URL. Dot segments (`..`, `%2e`)
 * are resolved as `inject` resolves them; the path is tried as sent and with duplicate slashes
 * removed, as the router ignores them.
 */
export function surfaceOf(url: string): Surface {
  const segments: string[] = [];
  for (const segment of (url.split('?')[0] ?? '/').split('/')) {
    const dots = segment.replace(/%2e/gi, '.');
    if (dots === '.') continue;
    if (dots === '..') {
      if (segments.length > 1) segments.pop();
      continue;
    }
    segments.push(segment);
  }
  const raw = segments.join('/');
  const collapsed = raw.replace(/\/{2,}/g, '/');
  for (const path of [raw, collapsed]) {
    for (const [surface, prefix] of SURFACE_PREFIXES) if (prefix.test(path)) return surface;
  }
  return 'native';
}

/** Fastify's `maxParamLength`: a longer parameter in a parametric prefix misses the facade's scope. */
const MAX_PARAM_LENGTH = 100;

/**
 * The surfaces whose error format may answer a URL: its own, and also the native one when the
 * account segment of a parametric facade prefix (Astra, BlackBerry) is longer than the router
 * reads, because the router then cannot pick the facade's not-found handler.
 */
export function surfacesOf(url: string): Surface[] {
  const surface = surfaceOf(url);
  const first = (url.split('?')[0] ?? '').split('/').filter((s) => s !== '');
  const param = surface === 'astra' ? first[1] : surface === 'blackberry' ? first[0] : undefined;
  return param !== undefined && param.length > MAX_PARAM_LENGTH ? [surface, 'native'] : [surface];
}

const ERROR_SCHEMAS: Record<Surface, TSchema> = {
  native: ProblemSchema,
  astra: AstraProblemSchema,
  bluexp: BlueXpErrorSchema,
  netprofiler: NpErrorSchema,
  hp: HpErrorSchema,
  blackberry: BlackBerryErrorSchema,
};

/** A stack frame, a source path or a dependency path: internals that must never leave. */
const STACK_PATTERNS = [
  /\n\s*at [^\n]*[(\s](\/|file:|node:)[^\s)]*:\d+/,
  /node_modules/,
  /\/src\/[\w./-]+\.(ts|js)\b/,
  /\b\w*Error: [^\n]*\n\s+at /,
];

/**
 * The checks every answer of every request must pass; returns what is wrong, or null. `surfaces`
 * are whose error format a 4xx may have.
 */
export function problemWith(
  response: LightMyRequestResponse,
  method: string,
  surfaces: Surface | Surface[],
): string | null {
  const status = response.statusCode;
  if (status >= 500) return `status ${String(status)}: ${response.body.slice(0, 500)}`;
  for (const pattern of STACK_PATTERNS) {
    if (pattern.test(response.body)) return `internals in the body (${String(pattern)})`;
  }
  if (response.headers['x-powered-by'] !== undefined) return 'x-powered-by header';
  const hasBody = response.rawPayload.length > 0;
  if (hasBody && response.headers['content-type'] === undefined) return 'body without content-type';
  if (status < 400 || method === 'HEAD') return null;
  if (!hasBody) return `body-less ${String(status)}`;
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return `${String(status)} body is not JSON: ${response.body.slice(0, 200)}`;
  }
  const accepted = Array.isArray(surfaces) ? surfaces : [surfaces];
  if (!accepted.some((surface) => Value.Check(ERROR_SCHEMAS[surface], body))) {
    return `${String(status)} is not a ${accepted.join('/')} error: ${response.body.slice(0, 300)}`;
  }
  const declared = (body as { status?: unknown }).status;
  if (declared !== undefined && Number(declared) !== status) {
    return `${String(status)} answer says status ${JSON.stringify(declared)}`;
  }
  return null;
}

const STRING_CANDIDATES = ['a', 'A', '1', 'abc', 'ABC', 'a-1', 'A_1', 'x1'];

/**
 * A value the schema accepts (as far as a JSON schema alone can tell): examples, enums and the
 * first branch of a union first; required properties only.
 */
export function sampleOf(schema: JsonSchema, depth = 0): unknown {
  const examples = schema.examples;
  if (Array.isArray(examples) && examples.length > 0) return examples[0] as unknown;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0] as unknown;
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union !== undefined && union.length > 0) {
    const choice = union.find((s) => s.type !== 'null') ?? union[0];
    return choice === undefined ? null : sampleOf(choice, depth + 1);
  }
  const type = Array.isArray(schema.type) ? (schema.type[0] as unknown) : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = (schema.required ?? []) as string[];
      // A patch needs one property: the first one.
      const first = Object.keys(properties)[0];
      const names =
        required.length === 0 && Number(schema.minProperties ?? 0) > 0 && first !== undefined
          ? [first]
          : required;
      for (const name of names) {
        const property = properties[name];
        if (property !== undefined && depth < 8) out[name] = sampleOf(property, depth + 1);
      }
      return out;
    }
    case 'array': {
      const items = (schema.items ?? {}) as JsonSchema;
      const count = Math.max(1, Number(schema.minItems ?? 1));
      return Array.from({ length: count }, () => sampleOf(items, depth + 1));
    }
    case 'string':
      return sampleString(schema);
    case 'integer':
    case 'number': {
      const minimum = schema.minimum ?? schema.exclusiveMinimum;
      return typeof minimum === 'number' ? Math.max(minimum, 1) : 1;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return {};
  }
}

function sampleString(schema: JsonSchema): string {
  switch (schema.format) {
    case 'date-time':
      return '2026-11-23T11:00:00.000Z';
    case 'date':
      return '2026-11-23';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000001';
    case 'uri':
    case 'url':
      return 'https://hooks.example.com/x';
    case 'email':
      return 'a@example.com';
    default:
      break;
  }
  const minLength = Number(schema.minLength ?? 1);
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : null;
  for (const candidate of STRING_CANDIDATES) {
    const value = candidate.padEnd(minLength, candidate.slice(-1));
    if (pattern === null || pattern.test(value)) return value;
  }
  return 'a'.repeat(Math.max(1, minLength));
}

/** The schema's properties, when it describes an object. */
export function propertiesOf(schema: JsonSchema): { name: string; required: boolean }[] {
  if (schema.type !== 'object') return [];
  const required = new Set((schema.required ?? []) as string[]);
  return Object.keys((schema.properties ?? {}) as Record<string, unknown>).map((name) => ({
    name,
    required: required.has(name),
  }));
}

/** Fills a path template with values by parameter name. */
export function fillPath(template: string, values: (name: string) => string): string {
  return template.replace(/\{([^}]+)\}/g, (_match, name: string) => values(name));
}
