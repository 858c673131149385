/**
 * How the server serves the dashboard (src/http/ui.ts), without a browser: a fake build in a temp
 * directory, no build at all, and the real app's wiring (public, not in the OpenAPI document).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UI_CSP, uiPlugin } from '../../src/http/ui.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

async function serve(dir: string): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(uiPlugin, { prefix: '/ui', dir });
  await app.ready();
  return app;
}

describe('the dashboard files', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'entitle-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Entitle</title>');
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1);');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await serve(dir);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test.each(['/ui', '/ui/', '/ui/licenses', '/ui/licenses/license-1-x?filter=a', '/ui/index.html'])(
    '%s answers index.html, never cached, with the CSP',
    async (url) => {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('<title>Entitle</title>');
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toBe(UI_CSP);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    },
  );

  test('hashed assets are cached for a year; other files are revalidated', async () => {
    const asset = await app.inject({ method: 'GET', url: '/ui/assets/index-AbC123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/javascript/);
    const icon = await app.inject({ method: 'GET', url: '/ui/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  test('a missing asset is a 404 problem, not the page', async () => {
    const response = await app.inject({ method: 'GET', url: '/ui/assets/gone-123.js' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  test('the CSP allows only this origin and no inline script', () => {
    expect(UI_CSP).toContain("default-src 'self'");
    expect(UI_CSP).toContain("script-src 'self'");
    expect(UI_CSP).not.toContain('unsafe-inline');
    expect(UI_CSP).toContain("frame-ancestors 'none'");
  });
});

describe('without a build', () => {
  test('/ui answers a 503 problem that says to run npm run build', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'entitle-ui-empty-'));
    const app = await serve(dir);
    for (const url of ['/ui', '/ui/', '/ui/licenses/1']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(json(response)).toMatchObject({
        type: '/problems/unavailable',
        status: 503,
        detail: expect.stringContaining('npm run build') as unknown,
      });
    }
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('in the app', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness();
  });
  afterAll(async () => {
    await harness.close();
  });

  test('/ui needs no token, and never answers 500 (built or not)', async () => {
    const response = await harness.request({ method: 'GET', url: '/ui/', token: null });
    expect([200, 503]).toContain(response.statusCode);
  });

  test('/ui is not in the OpenAPI document', async () => {
    const doc = json<{ paths: Record<string, unknown> }>(
      await harness.request({ method: 'GET', url: '/openapi.json', token: null }),
    );
    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/ui'))).toEqual([]);
    expect(Object.keys(doc.paths)).toContain('/v1/subscriptions/{subscriptionId}/cancel-preview');
  });
});
