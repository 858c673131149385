import type { LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, json, type Harness } from '../helpers/harness.js';
import {
  fillPath,
  loadOperations,
  problemWith,
  propertiesOf,
  sampleOf,
  surfacesOf,
  type Method,
  type Operation,
  type Surface,
} from './openapi-walk.js';

/**
 * Malformed requests against every route of the OpenAPI document, native and facades: wrong types,
 * missing and extra fields, hostile numbers and strings, bad query values and path ids, wrong
 * content types, non-JSON and oversized bodies, bad tokens. Whatever arrives, the answer is below
 * 500, a 4xx has its surface's error body, and nothing internal leaks.
 */

/** Runs per operation: with ~95 operations this is over 10,000 generated requests per run. */
const RUNS_PER_OPERATION = 110;
const MIN_REQUESTS = 10_000;

let h: Harness;
let operations: Operation[];
let sent = 0;
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};

const MISSING_UUID = '00000000-0000-4000-8000-00000000dead';

beforeAll(async () => {
  h = await createHarness({ services: { upstreamClient: { timeoutMs: 200, retries: 0 } } });
  await h.account('acme');
  await h.account('globex');
  const product = await h.request({
    method: 'POST',
    url: '/v1/products',
    body: {
      slug: 'cvo',
      name: 'Cloud Volumes ONTAP',
      features: [{ id: 'BACKUP', name: 'Backup' }],
      metrics: [{ id: 1, name: 'Capacity', unit: 'TiB' }],
    },
  });
  expect(product.statusCode, product.body).toBe(201);
  const license = await h.request({
    method: 'POST',
    url: '/v1/licenses',
    body: { accountId: 'acme', product: 'cvo', seatLimit: 5, features: ['BACKUP'] },
  });
  expect(license.statusCode, license.body).toBe(201);
  const issued = json<{ id: string; key: string; serialNumber: number }>(license);
  const instance = await h.instance('acme');
  const subscription = await h.request({
    method: 'POST',
    url: '/v1/subscriptions',
    body: {
      type: 'application/astra-subscription',
      version: '1.2',
      terms: 'paid',
      accounts: ['acme'],
    },
  });
  expect(subscription.statusCode, subscription.body).toBe(201);
  const webhook = await h.request({
    method: 'POST',
    url: '/v1/webhooks',
    body: {
      accountId: 'acme',
      url: 'https://hooks.example.com/x',
      eventTypes: ['license.created'],
    },
  });
  expect(webhook.statusCode, webhook.body).toBe(201);
  const activationToken = await h.request({
    method: 'POST',
    url: '/v1/activation-tokens',
    body: { count: 1, license: { product: 'cvo' } },
  });
  expect(activationToken.statusCode, activationToken.body).toBe(201);
  Object.assign(ids, {
    account: 'acme',
    product: 'cvo',
    license: issued.id,
    key: issued.key,
    serial: String(issued.serialNumber),
    instance,
    subscription: json<{ id: string }>(subscription).id,
    webhook: json<{ id: string }>(webhook).id,
    activationToken: json<{ id: string }>(activationToken).id,
  });
  Object.assign(tokens, {
    operator: h.operator,
    admin: await h.token('admin', ['acme']),
    viewer: await h.token('viewer', ['acme']),
    service: await h.token('service', ['acme']),
    instance: await h.token('instance', ['acme'], { instance }),
    otherAdmin: await h.token('admin', ['globex']),
  });
  operations = await loadOperations(h);
}, 30_000);

afterAll(async () => {
  await h.close();
});

// ---------------------------------------------------------------------------------------------
// Hostile values

const LONG = 'x'.repeat(10_001);
const HOSTILE_STRINGS = [
  '',
  ' ',
  LONG,
  '😀🎉👨‍👩‍👧‍👦',
  '\u202Eevil\u202C',
  'مرحبا',
  'a\u0000b',
  '\u0000',
  '\uD800',
  '\uDFFF\uD800',
  '\u200B',
  "' OR 1=1 --",
  "x'' OR ''1''=''1",
  '"; DROP TABLE licenses; --',
  '%_\\',
  '../../etc/passwd',
  '..\\..\\boot.ini',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  'NaN',
  'Infinity',
  '1e308',
  '-1',
  '0x10',
  'null',
  'true',
  '2026-13-45T25:61:61Z',
  '0000-00-00T00:00:00Z',
  '2026-11-23',
  '+275760-09-13T00:00:00.001Z',
  '9999-12-31T23:59:59.999999999+99:99',
  'AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF-GGGGG-HHHHH',
  '8ZHSA-2AQWJ-WW3N8-HAE1C-6ZV37-SD7PB-TGX5Q-GRHA0',
  'CYIBMJJIHJQA6-IRTEQ2QUNBYCA-CSSDJIEIJFKIQ-VAI2QUJBYC42A',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
];
const HOSTILE_NUMBERS = [
  0,
  -1,
  -0.5,
  0.1,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_SAFE_INTEGER - 2,
  2 ** 31,
  2 ** 63,
  4.9e-324,
  1.2345678901234568e29,
];

const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 10_001, maxLength: 12_000 }) },
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { '': '' }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: 600 }, (_, i) => `v${String(i)}`)) },
);

function deep(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

// ---------------------------------------------------------------------------------------------
// Requests

interface FuzzRequest {
  method: Method;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** Real ids by path parameter name; DELETE never gets them, so the seed survives the run. */
function realId(name: string): string {
  switch (name) {
    case 'accountId':
    case 'account_id':
    case 'tenantGuid':
      return ids.account ?? '';
    case 'product':
      return ids.product ?? '';
    case 'instanceId':
      return ids.instance ?? '';
    case 'license':
    case 'licenseId':
    case 'resourceId':
      return ids.license ?? '';
    case 'serial_no':
      return ids.serial ?? '';
    case 'subscriptionId':
    case 'subscription_id':
      return ids.subscription ?? '';
    case 'tokenId':
      return ids.activationToken ?? '';
    case 'webhookId':
      return ids.webhook ?? '';
    case 'metric':
      return '1';
    default:
      return MISSING_UUID;
  }
}

/** Percent-encodes any string; a lone surrogate becomes its (invalid) three-byte UTF-8 form. */
function encode(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    out +=
      char.length === 1 && code >= 0xd800 && code <= 0xdfff
        ? `%${[0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
            .map((b) => b.toString(16).toUpperCase())
            .join('%')}`
        : encodeURIComponent(char);
  }
  return out;
}

const MISSING_IDS = [MISSING_UUID, 'nope', 'globex', '999999999', '0'];
const RAW_BAD_IDS = ['..', '.', '%00', '%', '%zz', '%E0%A4%A', '%2e%2e%2f', '..%2f..%2f'];

function pathValue(name: string, real: boolean): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: real ? 3 : 0, arbitrary: fc.constant(encode(realId(name))) },
    { weight: 2, arbitrary: fc.constantFrom(...MISSING_IDS) },
    { weight: 3, arbitrary: hostileString.map(encode) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BAD_IDS) },
    { weight: 1, arbitrary: fc.constant('a'.repeat(5000)) },
  );
}

const LIST_QUERY_VALUES: Record<string, string[]> = {
  filter: [
    "name eq 'x'' OR ''1''=''1'",
    "id eq 'x' or 1 eq 1",
    "' OR 1=1 --",
    'name eq',
    'eq eq eq',
    "name eq 'unterminated",
    'nosuchfield eq 1',
    "constructor eq 'x'",
    '__proto__ eq 1',
    "toString ne 'x' and valueOf eq 1",
    "createdAt gt 'not-a-date'",
    "createdAt gt '2026-13-45T25:61:61Z'",
    'id in (1,2',
    '((((((((((((((((((((((((((((((((((((((((',
    "name eq '%' and name eq '_'",
    `name eq '${'x'.repeat(10_000)}'`,
    Array.from({ length: 300 }, (_, i) => `id eq '${String(i)}'`).join(' or '),
  ],
  orderBy: [
    'constructor',
    '__proto__ desc',
    'toString',
    'nosuch',
    'id desc desc',
    'id sideways',
    ',',
    'id,',
    'name asc,id desc,;',
    '1e308',
  ],
  include: ['constructor', '__proto__', 'nosuch', ',,,', 'id,id,id', '*', 'a'.repeat(5000)],
  continue: ['garbage', 'eyJ9', 'e30', "' OR 1=1 --", '%00', 'a'.repeat(5000), '{}', 'null'],
  limit: ['-1', '0', '1e308', 'NaN', '99999999999999999999', 'abc', '1.5', '', ' 5', '0x10'],
  skip: ['-1', '1e308', 'NaN', 'abc', '99999999999999999999'],
  count: ['maybe', 'TRUE', '1', ''],
};

function queryValue(name: string): fc.Arbitrary<string> {
  const special = LIST_QUERY_VALUES[name];
  return fc.oneof(
    { weight: special === undefined ? 0 : 3, arbitrary: fc.constantFrom(...(special ?? [''])) },
    { weight: 2, arbitrary: hostileString },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        ids.key ?? '',
        ids.product ?? '',
        ids.instance ?? '',
        ids.account ?? '',
      ),
    },
  );
}

function queryString(op: Operation): fc.Arbitrary<string> {
  const declared = op.params.filter((p) => p.in === 'query');
  const names = [...declared.map((p) => p.name), 'filter', 'limit', 'unknownParam', 'key'];
  const pair = fc
    .constantFrom(...names)
    .chain((name) => queryValue(name).map((value) => `${name}=${encode(value)}`));
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant('') },
    {
      weight: 6,
      arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((p) => p.join('&')),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('%zz', 'a[b]=c', '&&&', '=', 'limit=1&limit=2', '%00'),
    },
  );
}

type Auth = { authorization: string } | { 'x-auth-token': string } | Record<string, never>;

function auth(): fc.Arbitrary<Auth> {
  const bearer = (token: string): Auth => ({ authorization: `Bearer ${token}` });
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant(bearer(tokens.operator ?? '')) },
    {
      weight: 6,
      arbitrary: fc
        .constantFrom('admin', 'viewer', 'service', 'instance', 'otherAdmin')
        .map((role) => bearer(tokens[role] ?? '')),
    },
    { weight: 1, arbitrary: fc.constant({}) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<Auth>(
        bearer('garbage'),
        bearer(`${(tokens.operator ?? '').slice(0, -3)}AAA`),
        bearer('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'),
        { authorization: 'Basic YWRtaW46YWRtaW4=' },
        { authorization: 'Bearer' },
        { authorization: `Bearer ${'a'.repeat(20_000)}` },
        { 'x-auth-token': 'garbage' },
        { 'x-auth-token': tokens.instance ?? '' },
      ),
    },
  );
}

const ONE_POINT_ONE_MIB = Buffer.alloc(Math.round(1.1 * 1024 * 1024), 0x61);
const oversize = Buffer.concat([Buffer.from('{"x":"'), ONE_POINT_ONE_MIB, Buffer.from('"}')]);

interface Body {
  payload?: string | Buffer;
  contentType?: string;
}

const asJson = (value: unknown): Body => ({
  payload: JSON.stringify(value),
  contentType: 'application/json',
});

function bodyFor(op: Operation): fc.Arbitrary<Body> {
  const schema = op.body?.schema ?? { type: 'object' };
  const base = sampleOf(schema);
  const properties = propertiesOf(schema);
  const named = properties.map((p) => p.name);
  const required = properties.filter((p) => p.required).map((p) => p.name);
  const isObject = typeof base === 'object' && base !== null && !Array.isArray(base);
  const object = (isObject ? base : {}) as Record<string, unknown>;
  const mutations: fc.WeightedArbitrary<Body>[] = [
    // One property of the wrong type or hostile.
    {
      weight: named.length > 0 ? 8 : 0,
      arbitrary: fc
        .tuple(fc.constantFrom(...(named.length > 0 ? named : ['x'])), hostileValue)
        .map(([name, value]) => asJson({ ...object, [name]: value })),
    },
    // Several at once.
    {
      weight: named.length > 0 ? 2 : 0,
      arbitrary: fc
        .dictionary(fc.constantFrom(...(named.length > 0 ? named : ['x'])), hostileValue, {
          maxKeys: 5,
        })
        .map((changes) => asJson({ ...object, ...changes })),
    },
    // A required property missing.
    {
      weight: required.length > 0 ? 2 : 0,
      arbitrary: fc.constantFrom(...(required.length > 0 ? required : ['x'])).map((name) => {
        const { [name]: _dropped, ...rest } = object;
        return asJson(rest);
      }),
    },
    // An unknown property.
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('extra', '__proto__', 'constructor', 'id', ''), hostileValue)
        .map(([name, value]) => {
          // Written by hand: an object literal would turn `__proto__` into the prototype.
          const rest = JSON.stringify(object).slice(1);
          const extra = `${JSON.stringify(name)}:${(JSON.stringify(value) as string | undefined) ?? 'null'}`;
          return {
            payload: rest === '}' ? `{${extra}}` : `{${extra},${rest}`,
            contentType: 'application/json',
          };
        }),
    },
    // The valid-looking sample itself: reaches the service with seeded or missing ids.
    { weight: 2, arbitrary: fc.constant(asJson(base)) },
    // A whole body of the wrong shape.
    { weight: 2, arbitrary: hostileValue.map((value) => asJson(value)) },
    { weight: 1, arbitrary: fc.constant(asJson(deep(2000))) },
    // Not JSON at all.
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          '{',
          '{"a":',
          "{'a':1}",
          'undefined',
          '\u0000',
          '{"a":1}{"b":2}',
          '[1,2,',
          'NaN',
          '{"__proto__":{"x":1}}',
          '',
        )
        .map((payload) => ({ payload, contentType: 'application/json' })),
    },
    // Wrong or missing content types.
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            'text/plain',
            'application/xml',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=latin-9',
            'application/merge-patch+json',
            'application/octet-stream',
            '',
            'garbage',
            undefined,
          ),
          fc.constantFrom(JSON.stringify(base), '<license>x</license>', 'key=abc', 'deactivate'),
        )
        .map(([contentType, payload]) =>
          contentType === undefined ? { payload } : { payload, contentType },
        ),
    },
    // No body.
    { weight: 1, arbitrary: fc.constant({}) },
    // Over the limit, rarely: each one is a megabyte through the parser.
    { weight: 1, arbitrary: fc.constant({ payload: oversize, contentType: 'application/json' }) },
  ];
  return fc.oneof(...mutations);
}

const OTHER_METHODS: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path').map((p) => p.name);
  const path = fc
    .tuple(...pathParams.map((name) => pathValue(name, op.method !== 'DELETE')))
    .map((values) => fillPath(op.path, (name) => values[pathParams.indexOf(name)] ?? ''));
  const extraHeaders = fc.oneof(
    { weight: 6, arbitrary: fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc.record({
        'if-match': fc.constantFrom('"1"', 'W/"1"', '*', 'yesterday', '"-1"', '"1e308"', ''),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        accept: fc.constantFrom('application/xml', 'text/html;q=0', '*/*;q=0', 'garbage;;;'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        'x-request-id': fc.constantFrom('a'.repeat(5000), '\u00e9\u00e9', '../x', ''),
      }),
    },
  );
  const method = fc.oneof(
    { weight: 12, arbitrary: fc.constant(op.method) },
    { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) },
  );
  const takesBody = op.body !== undefined || ['POST', 'PUT', 'PATCH'].includes(op.method);
  const body: fc.Arbitrary<Body> = takesBody
    ? bodyFor(op)
    : fc.oneof(
        { weight: 4, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: fc.constant(asJson({ unexpected: true })) },
      );
  return fc
    .record({ path, query: queryString(op), auth: auth(), extraHeaders, method, body })
    .map(({ path: p, query, auth: a, extraHeaders: extra, method: m, body: b }) => {
      const headers: Record<string, string> = { ...a, ...extra };
      if (b.contentType !== undefined) headers['content-type'] = b.contentType;
      return {
        method: m,
        url: query === '' ? p : `${p}?${query}`,
        headers,
        ...(b.payload === undefined ? {} : { payload: b.payload }),
      };
    });
}

async function send(request: FuzzRequest): Promise<LightMyRequestResponse> {
  sent++;
  return h.app.inject({
    method: request.method,
    url: request.url,
    headers: request.headers,
    ...(request.payload === undefined ? {} : { payload: request.payload }),
  });
}

function describeRequest(request: FuzzRequest): string {
  const payload =
    request.payload === undefined
      ? ''
      : ` body(${String(request.payload.length)}): ${request.payload.toString().slice(0, 200)}`;
  return `${request.method} ${request.url.slice(0, 300)} ${JSON.stringify(request.headers).slice(0, 200)}${payload}`;
}

async function fuzz(op: Operation): Promise<void> {
  await fc.assert(
    fc.asyncProperty(requestFor(op), async (request) => {
      const response = await send(request);
      const wrong = problemWith(response, request.method, surfacesOf(request.url));
      if (wrong !== null) throw new Error(`${describeRequest(request)}\n→ ${wrong}`);
    }),
    {
      numRuns: RUNS_PER_OPERATION,
      // A failure prints its seed; FUZZ_SEED=<seed> replays that run.
      ...(process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) }),
      // The default report prints whole counterexamples, megabytes for an oversized body.
      reporter: (details) => {
        if (!details.failed) return;
        const [request] = details.counterexample ?? [];
        const cause = details.errorInstance instanceof Error ? details.errorInstance.message : '';
        throw new Error(
          `${op.method} ${op.path}: seed ${String(details.seed)}, path "${String(details.counterexamplePath)}"\n` +
            (request === undefined ? cause : `${describeRequest(request)}\n${cause.slice(-600)}`),
        );
      },
    },
  );
}

const SURFACES: Surface[] = ['native', 'astra', 'bluexp', 'netprofiler', 'hp', 'blackberry'];

describe('fuzzing every route of the OpenAPI document', () => {
  it('covers the native API and all five facades', () => {
    const surfaces = new Set(operations.map((op) => op.surface));
    expect([...surfaces].sort()).toEqual([...SURFACES].sort());
    expect(operations.length).toBeGreaterThanOrEqual(90);
  });

  for (const surface of SURFACES) {
    it(`${surface}: malformed requests never get a 5xx, an ill-formed error or internals`, async () => {
      for (const op of operations.filter((o) => o.surface === surface)) await fuzz(op);
    }, 120_000);
  }

  it('answers an over-limit body on every route that takes one with a 4xx in its format', async () => {
    for (const op of operations.filter((o) => o.body !== undefined)) {
      const url = fillPath(op.path, realId);
      const request: FuzzRequest = {
        method: op.method,
        url,
        headers: {
          authorization: `Bearer ${h.operator}`,
          'content-type': op.body?.contentTypes[0] ?? 'application/json',
        },
        payload: oversize,
      };
      const response = await send(request);
      expect(problemWith(response, op.method, op.surface), describeRequest(request)).toBeNull();
      expect(response.statusCode, describeRequest(request)).toBeGreaterThanOrEqual(400);
    }
  }, 60_000);

  it('answers what the router refuses (bad percent-encoding, over-long ids) in each format', async () => {
    const long = 'a'.repeat(200);
    const cases: [string, Surface, number][] = [
      ['/v1/accounts/%zz', 'native', 400],
      [`/v1/accounts/${long}`, 'native', 414],
      ['/accounts/acme/core/v1/subscriptions/%E0%A4%A', 'astra', 400],
      ['/license/licenses/%zz', 'bluexp', 400],
      ['/sdn/v2.0/licenses/%zz', 'hp', 400],
      [`/sdn/v2.0/licenses/${long}`, 'hp', 400],
      ['/%zz/api/v1/licensing', 'blackberry', 400],
    ];
    for (const [url, surface, status] of cases) {
      const request: FuzzRequest = {
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${h.operator}` },
      };
      const response = await send(request);
      expect(response.statusCode, url).toBe(status);
      expect(problemWith(response, 'GET', surface), url).toBeNull();
    }
    // Names that exist on every object are not fields of the query language.
    for (const query of ['orderBy=constructor', 'orderBy=__proto__', "filter=toString eq 'x'"]) {
      const response = await send({
        method: 'GET',
        url: `/v1/licenses?${query}`,
        headers: { authorization: `Bearer ${h.operator}` },
      });
      expect(response.statusCode, query).toBe(400);
    }
  });

  it(`sent at least ${String(MIN_REQUESTS)} requests and the server is still ready`, async () => {
    expect(sent).toBeGreaterThanOrEqual(MIN_REQUESTS);
    const ready = await h.request({ method: 'GET', url: '/readyz', token: null });
    expect(ready.statusCode).toBe(200);
    console.info(`fuzz: ${String(sent)} requests over ${String(operations.length)} operations`);
  });
});
