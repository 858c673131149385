import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import type { App } from '../../src/http/types.js';
import { createServices } from '../../src/services/index.js';
import { readOrCreateSecret } from '../../src/services/token-keys.js';
import { openPostgresStore } from '../../src/store/database.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

/**
 * A database that cannot serve is the server's trouble, not the caller's: 503 with `Retry-After`,
 * in each surface's own error format, nothing written, and the next request after it recovers
 * succeeds. Real parts: a SQLite file locked by another connection, a PostgreSQL address where
 * nothing listens.
 */

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

let harness: Harness | undefined;
let outage: App | undefined;
afterEach(async () => {
  await outage?.close();
  await harness?.close();
  outage = undefined;
  harness = undefined;
});

describe('a SQLite database locked by another process past the busy timeout', () => {
  it('answers 503 with Retry-After and writes nothing; once the lock goes, the same request succeeds', async () => {
    harness = await createHarness({ dialect: 'sqlite', sqliteBusyTimeoutMs: 50 });
    const other = new Database(join(harness.dir, 'entitle.db'));
    other.exec('begin immediate');
    try {
      const refused = await harness.request({
        method: 'POST',
        url: '/v1/accounts',
        body: { id: 'acme', name: 'Acme' },
      });
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('2');
      expect(refused.headers['content-type']).toContain('application/problem+json');
      const body = json(refused);
      expect(body).toMatchObject({ type: '/problems/unavailable', status: 503 });
      expect(refused.body).not.toMatch(/SQLITE|at .*\.js/);
    } finally {
      other.exec('rollback');
      other.close();
    }
    const missing = await harness.request({ method: 'GET', url: '/v1/accounts/acme' });
    expect(missing.statusCode).toBe(404);
    const created = await harness.request({
      method: 'POST',
      url: '/v1/accounts',
      body: { id: 'acme', name: 'Acme' },
    });
    expect(created.statusCode).toBe(201);
  });
});

describe('a PostgreSQL server that cannot be reached', () => {
  async function outageApp(): Promise<{ app: App; token: string }> {
    harness = await createHarness();
    const url = `postgres://postgres@127.0.0.1:${String(await closedPort())}/entitle`;
    const services = createServices(openPostgresStore({ url, poolSize: 1 }), harness.keys, {
      keySecret: readOrCreateSecret(join(harness.dir, 'license-key-secret')),
    });
    outage = await buildApp({ services, clock: harness.clock });
    return { app: outage, token: harness.operator };
  }

  it('answers native requests 503 problems with Retry-After', async () => {
    const { app, token } = await outageApp();
    const response = await app.inject({
      method: 'GET',
      url: '/v1/accounts',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    expect(json(response)).toMatchObject({ type: '/problems/unavailable', status: 503 });
    expect(response.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });

  it('answers a facade in its own format: HP ServiceUnavailableException, Astra about:blank', async () => {
    const { app, token } = await outageApp();
    const hp = await app.inject({
      method: 'GET',
      url: '/sdn/v2.0/licenses',
      headers: { 'x-auth-token': token },
    });
    expect(hp.statusCode).toBe(503);
    expect(hp.headers['retry-after']).toBe('2');
    expect(json(hp)).toMatchObject({ error: 'ServiceUnavailableException' });
    const astra = await app.inject({
      method: 'GET',
      url: '/accounts/acme/core/v1/subscriptions',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(astra.statusCode).toBe(503);
    expect(json(astra)).toMatchObject({ type: 'about:blank', status: '503' });
  });
});
