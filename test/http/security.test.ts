import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, json, type Harness } from '../helpers/harness.js';

/**
 * The shared security suite: every route the server registers, found from the router itself,
 * answers 401 without a token or with a bad one — except the few that are public by design.
 */
const PUBLIC = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
  '/problems/:slug',
  '/v1/keys',
  // Vendor logins and discovery (issue 13); DELETE /sdn/v2.0/auth is checked by hp-login.test.ts.
  '/sdn/v2.0/auth',
  '/:tenantGuid/api/v1/util/authorization',
  '/api/common/1.0/oauth/token',
  '/api/common/1.1/services',
]);

interface RouteEntry {
  method: string;
  url: string;
}

let h: Harness;
let routes: RouteEntry[];

beforeAll(async () => {
  h = await createHarness();
  routes = collectRoutes(h);
});
afterAll(async () => {
  await h.close();
});

function collectRoutes(harness: Harness): RouteEntry[] {
  return harness.app.registeredRoutes().filter((route) => route.method !== 'HEAD');
}

function concrete(url: string): string {
  return url.replace(':accountId', 'acme').replace(':product', 'cvo').replace(':slug', 'not-found');
}

describe('every protected route', () => {
  it('finds the routes to test', () => {
    const protectedRoutes = routes.filter(
      (r) => !PUBLIC.has(r.url) && !r.url.startsWith('/docs') && !r.url.startsWith('/ui'),
    );
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(14);
  });

  it('answers 401 without a token and with a bad one', async () => {
    const badTokens = [null, 'garbage', `${h.operator.slice(0, -4)}AAAA`];
    for (const route of routes) {
      // The dashboard's files are public; the app sends the token to /v1 (test/e2e/serve.test.ts).
      if (PUBLIC.has(route.url) || route.url.startsWith('/docs') || route.url.startsWith('/ui'))
        continue;
      for (const token of badTokens) {
        const response = await h.request({
          method: route.method as 'GET',
          url: concrete(route.url),
          token,
          body: ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined,
        });
        expect(
          response.statusCode,
          `${route.method} ${route.url} with ${String(token).slice(0, 8)}`,
        ).toBe(401);
        // Native routes answer a problem; each facade answers 401 in its vendor's format, which
        // its own conformance suite checks.
        if (route.url.startsWith('/v1/')) expect(json(response).status).toBe(401);
      }
    }
  });

  it('serves the public routes without a token', async () => {
    for (const url of [
      '/healthz',
      '/readyz',
      '/metrics',
      '/openapi.json',
      '/docs',
      '/problems/not-found',
    ]) {
      const response = await h.request({ method: 'GET', url, token: null });
      expect(response.statusCode, url).toBeLessThan(400);
    }
  });
});
