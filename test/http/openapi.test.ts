import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, json, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const response = await h.request({ method: 'GET', url: '/openapi.json', token: null });
    expect(response.statusCode).toBe(200);
    const document = json(response);
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route the server registers', async () => {
    const document = json<{ paths: Record<string, Record<string, unknown>> }>(
      await h.request({ method: 'GET', url: '/openapi.json', token: null }),
    );
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map(
          (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
        ),
      ),
    );
    // HEAD mirrors GET; the docs UI, the document itself and the problem pages are not API routes.
    const api = h.app
      .registeredRoutes()
      .filter(
        (r) =>
          r.method !== 'HEAD' &&
          !r.url.startsWith('/docs') &&
          !r.url.startsWith('/ui') &&
          !['/openapi.json', '/problems/:slug'].includes(r.url),
      )
      .map((r) => `${r.method} ${r.url}`);
    expect(api.length).toBeGreaterThanOrEqual(17);
    expect(api.filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].sort()).toEqual([...api].sort());
  });

  it('documents problem responses as application/problem+json', async () => {
    const document = json<{
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>
      >;
    }>(await h.request({ method: 'GET', url: '/openapi.json', token: null }));
    const create = document.paths['/v1/accounts']?.post;
    expect(Object.keys(create?.responses ?? {}).sort()).toEqual([
      '201',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
    ]);
    expect(Object.keys(create?.responses['409']?.content ?? {})).toEqual([
      'application/problem+json',
    ]);
  });

  it('serves interactive documentation at /docs', async () => {
    const response = await h.request({ method: 'GET', url: '/docs/', token: null });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('swagger');
  });
});
