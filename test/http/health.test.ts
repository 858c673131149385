import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, json, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

describe('health, readiness and metrics', () => {
  it('healthz and readyz answer when the database does', async () => {
    expect(json(await h.request({ method: 'GET', url: '/healthz', token: null }))).toEqual({
      status: 'ok',
    });
    expect(json(await h.request({ method: 'GET', url: '/readyz', token: null }))).toEqual({
      status: 'ready',
    });
  });

  it('readyz answers 503 when the database is gone, healthz still 200', async () => {
    await h.store.close();
    const ready = await h.request({ method: 'GET', url: '/readyz', token: null });
    expect(ready.statusCode).toBe(503);
    expect(json(ready)).toMatchObject({
      type: '/problems/unavailable',
      detail: 'The database is not reachable.',
    });
    expect((await h.request({ method: 'GET', url: '/healthz', token: null })).statusCode).toBe(200);
  });

  it('counts requests by route and times transactions by use case', async () => {
    await h.request({ method: 'POST', url: '/v1/accounts', body: { id: 'acme', name: 'Acme' } });
    await h.request({ method: 'GET', url: '/v1/accounts/acme' });
    await h.request({ method: 'GET', url: '/v1/accounts/ghost' });
    await h.request({ method: 'POST', url: '/v1/accounts', body: { id: 'acme', name: 'Again' } });
    const response = await h.request({ method: 'GET', url: '/metrics', token: null });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const text = response.body;
    expect(text).toContain(
      'entitle_http_requests_total{method="POST",route="/v1/accounts",status="201"} 1',
    );
    expect(text).toContain(
      'entitle_http_requests_total{method="POST",route="/v1/accounts",status="409"} 1',
    );
    expect(text).toContain(
      'entitle_http_requests_total{method="GET",route="/v1/accounts/:accountId",status="404"} 1',
    );
    expect(text).toMatch(
      /entitle_http_request_duration_seconds_count\{method="GET",route="\/v1\/accounts\/:accountId"\} 2/,
    );
    expect(text).toContain(
      'entitle_db_transaction_duration_seconds_count{use_case="account.create",outcome="commit"} 1',
    );
    expect(text).toContain(
      'entitle_db_transaction_duration_seconds_count{use_case="account.create",outcome="rollback"} 1',
    );
    expect(text).toContain('entitle_db_transactions_in_flight 0');
    expect(text).toContain('entitle_process_cpu_seconds_total');
  });

  it('documents each problem type at its URI', async () => {
    const response = await h.request({ method: 'GET', url: '/problems/in-use', token: null });
    expect(json(response)).toMatchObject({
      type: '/problems/in-use',
      status: 409,
      title: 'Resource in use',
    });
    expect(
      (await h.request({ method: 'GET', url: '/problems/nonsense', token: null })).statusCode,
    ).toBe(404);
  });
});
