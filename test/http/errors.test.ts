import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { ProblemSchema } from '../../src/http/problems.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

function expectProblem(body: Record<string, unknown>, status: number, type: string) {
  expect(Value.Check(ProblemSchema, body)).toBe(true);
  expect(body.status).toBe(status);
  expect(body.type).toBe(type);
  expect(JSON.stringify(body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
}

describe('problems for every kind of bad request', () => {
  it('405 with Allow for a known path and an unsupported method', async () => {
    const response = await h.request({ method: 'DELETE', url: '/v1/accounts' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, POST');
    expectProblem(json(response), 405, '/problems/method-not-allowed');

    const item = await h.request({ method: 'POST', url: '/v1/accounts/acme' });
    expect(item.statusCode).toBe(405);
    expect(item.headers.allow).toBe('GET, HEAD, PUT, PATCH, DELETE');
  });

  it('405 comes before authentication, 404 for unknown routes', async () => {
    const unauthenticated = await h.request({ method: 'PUT', url: '/v1/products', token: null });
    expect(unauthenticated.statusCode).toBe(405);
    const unknown = await h.request({ method: 'GET', url: '/v1/nothing-here', token: null });
    expect(unknown.statusCode).toBe(404);
    expectProblem(json(unknown), 404, '/problems/route-not-found');
  });

  it('413 for a body over the limit', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: { name: 'x'.repeat(2 * 1024 * 1024) },
    });
    expect(response.statusCode).toBe(413);
    expectProblem(json(response), 413, '/problems/payload-too-large');
    expect(json(response).detail).toBe('The request body exceeds the limit of 1048576 bytes.');
  });

  it('415 for a body that is not JSON', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const response = await h.request({
        method: 'POST',
        url: '/v1/accounts',
        body: 'name=x',
        headers: { 'content-type': type },
      });
      expect(response.statusCode, type).toBe(415);
      expectProblem(json(response), 415, '/problems/unsupported-media-type');
      expect(json(response).detail).toContain(type);
    }
  });

  it('400 for malformed JSON and for an empty JSON body', async () => {
    const malformed = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.statusCode).toBe(400);
    expectProblem(json(malformed), 400, '/problems/malformed-body');
    const empty = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(empty.statusCode).toBe(400);
    expectProblem(json(empty), 400, '/problems/malformed-body');
  });

  it('400 naming the body when it is not an object', async () => {
    const response = await h.request({ method: 'POST', url: '/v1/accounts', body: [1, 2] });
    expect(response.statusCode).toBe(400);
    expect(json(response).invalidFields).toEqual([{ name: 'body', reason: 'must be object' }]);
  });

  it('a missing body is a 400 naming it, not a 500', async () => {
    const response = await h.request({ method: 'POST', url: '/v1/accounts' });
    expect(response.statusCode).toBe(400);
    expect(json(response).invalidFields).toEqual([{ name: 'body', reason: 'must be object' }]);
  });
});

describe('request ids', () => {
  it('echoes X-Service-Request-Id and uses it as the correlation id', async () => {
    const response = await h.request({
      method: 'GET',
      url: '/v1/accounts/nope',
      headers: { 'x-service-request-id': 'bluexp-req-42' },
    });
    expect(response.headers['x-service-request-id']).toBe('bluexp-req-42');
    expect(response.headers['x-request-id']).toBe('bluexp-req-42');
    expect(json(response).correlationID).toBe('bluexp-req-42');
  });

  it('echoes X-Request-Id', async () => {
    const response = await h.request({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'abc-1' },
    });
    expect(response.headers['x-request-id']).toBe('abc-1');
    expect(response.headers['x-service-request-id']).toBeUndefined();
  });

  it('generates a UUID when absent or unusable, and records it on events', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: { id: 'acme', name: 'Acme' },
    });
    const id = response.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const event = await h.store.db
      .selectFrom('events')
      .select('request_id')
      .where('type', '=', 'account.created')
      .executeTakeFirst();
    expect(event?.request_id).toBe(id);

    const unusable = await h.request({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'has spaces in it' },
    });
    expect(unusable.headers['x-request-id']).not.toBe('has spaces in it');
  });
});

describe('one transaction per use case', () => {
  it('a use case that fails half-way leaves no rows and answers a generic 500', async () => {
    // Make the event write (the last step of account creation) fail after the account row is written.
    // Renamed rather than dropped: PostgreSQL refuses to drop a table others reference.
    await h.store.db.schema.alterTable('events').renameTo('events_gone').execute();
    const response = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: { id: 'acme', name: 'Acme' },
    });
    expect(response.statusCode).toBe(500);
    const body = json(response);
    expectProblem(body, 500, '/problems/internal');
    expect(body.detail).toBe(
      'An unexpected error occurred. It has been logged with the correlation id.',
    );
    expect(JSON.stringify(body)).not.toContain('events');
    const rows = await h.store.db.selectFrom('accounts').selectAll().execute();
    expect(rows).toEqual([]);
  });

  it('a product whose parts fail to insert leaves no product row', async () => {
    const { insertProduct } = await import('../../src/store/products.repository.js');
    const attempt = h.store.transaction('test', (tx) =>
      insertProduct(tx, {
        slug: 'dup',
        name: 'Dup',
        group: null,
        description: '',
        features: [
          { id: 'A', name: 'a', description: '' },
          { id: 'A', name: 'again', description: '' },
        ],
        metrics: [],
        createdAt: '2026-11-23T12:00:00.000Z',
        updatedAt: '2026-11-23T12:00:00.000Z',
      }),
    );
    await expect(attempt).rejects.toThrow();
    expect(await h.store.db.selectFrom('products').selectAll().execute()).toEqual([]);
    expect(await h.store.db.selectFrom('product_features').selectAll().execute()).toEqual([]);
  });
});
