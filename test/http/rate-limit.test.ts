import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, json, type Harness } from '../helpers/harness.js';

/** The API-wide limit per token or address (@fastify/rate-limit), in every surface's format. */

let h: Harness;
beforeEach(async () => {
  h = await createHarness({ rateLimit: { max: 5, windowMs: 60_000 } });
});
afterEach(async () => {
  await h.close();
});

describe('API-wide rate limit', () => {
  it('answers the sixth request of a token in the window with a 429 problem and Retry-After', async () => {
    for (let i = 0; i < 5; i++) {
      const response = await h.request({ method: 'GET', url: '/v1/accounts' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-ratelimit-remaining']).toBe(String(4 - i));
    }
    const limited = await h.request({ method: 'GET', url: '/v1/accounts' });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(json(limited)).toMatchObject({ type: '/problems/too-many-requests', status: 429 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body).not.toContain(h.operator);
  });

  it('counts each token apart, and never limits the probes', async () => {
    for (let i = 0; i < 6; i++) await h.request({ method: 'GET', url: '/v1/accounts' });
    const other = await h.token('operator', '*', { subject: 'second' });
    const fresh = await h.request({ method: 'GET', url: '/v1/accounts', token: other });
    expect(fresh.statusCode).toBe(200);
    for (let i = 0; i < 10; i++) {
      const health = await h.request({ method: 'GET', url: '/healthz', token: null });
      expect(health.statusCode).toBe(200);
    }
  });

  it('answers in the facade’s own error format', async () => {
    await h.account('acme');
    const controller = await h.instance('acme');
    const token = await h.token('instance', ['acme'], { instance: controller });
    const requests = () =>
      h.app.inject({
        method: 'GET',
        url: '/sdn/v2.0/licenses',
        headers: { 'x-auth-token': token },
      });
    for (let i = 0; i < 5; i++) expect((await requests()).statusCode).toBe(200);
    const limited = await requests();
    expect(limited.statusCode).toBe(429);
    expect(json(limited)).toMatchObject({ error: 'TooManyRequestsException' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});
