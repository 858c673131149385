import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { BlueXpErrorSchema } from '../../src/http/compat/bluexp/schemas.js';
import { startLoginServer, type LoginServer } from './login-server.js';

/**
 * A BlueXP digital-wallet client against a real listening server: static
 * `Authorization: Bearer <API token>` (an Entitle token minted at `POST /v1/tokens`), user tokens
 * for writes and service tokens for reads, `X-Service-Request-Id` echoed.
 */
let s: LoginServer;
let userToken: string;
let serviceToken: string;

async function mint(typ: 'user' | 'service', ttlSeconds = 3600): Promise<string> {
  const response = await s.h.request({
    method: 'POST',
    url: '/v1/tokens',
    body: { subject: `bluexp-${typ}`, role: 'operator', accounts: '*', typ, ttlSeconds },
  });
  expect(response.statusCode, response.body).toBe(201);
  return (JSON.parse(response.body) as { token: string }).token;
}

beforeEach(async () => {
  s = await startLoginServer();
  await s.h.account('acme');
  const product = await s.h.request({
    method: 'POST',
    url: '/v1/products',
    body: {
      slug: 'backup',
      name: 'Cloud Backup',
      group: 'DATA_SERVICES',
      metrics: [{ id: 1, name: 'Protected capacity', unit: 'TB' }],
    },
  });
  expect(product.statusCode, product.body).toBe(201);
  userToken = await mint('user');
  serviceToken = await mint('service');
});
afterEach(async () => {
  await s.close();
});

async function bluexp(
  token: string,
  method: string,
  path: string,
  body?: unknown,
  authorization = `Bearer ${token}`,
) {
  const response = await fetch(`${s.base}/license${path}`, {
    method,
    headers: {
      Authorization: authorization,
      'X-Service-Request-Id': 'req-42',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text };
}

function expectBlueXpError(answer: { status: number; body: string }, status: number, code: string) {
  expect(answer.status, answer.body).toBe(status);
  const body = JSON.parse(answer.body) as unknown;
  expect(Value.Check(BlueXpErrorSchema, body), answer.body).toBe(true);
  expect(body).toMatchObject({ status, code });
}

describe('BlueXP static API tokens', () => {
  it('a user token runs every wallet call; a service token reads', async () => {
    const created = await bluexp(userToken, 'POST', '/licenses', {
      accountId: 'acme',
      licenseType: 'CAPACITY',
      service: 'BACKUP',
      group: 'DATA_SERVICES',
      entitledCapacityTB: 2,
      expirationDate: '2027-01-01T00:00:00.000Z',
    });
    expect(created.status, created.body).toBe(200);
    expect(created.headers.get('x-service-request-id')).toBe('req-42');
    const { resourceId } = JSON.parse(created.body) as { resourceId: string };
    for (const token of [userToken, serviceToken]) {
      expect((await bluexp(token, 'GET', '/licenses?includeSummaryInfo=true')).status).toBe(200);
      expect((await bluexp(token, 'GET', `/licenses/${resourceId}`)).status).toBe(200);
      expect((await bluexp(token, 'GET', '/subscriptions')).status).toBe(200);
    }
    const updated = await bluexp(userToken, 'PUT', `/licenses/${resourceId}`, {
      entitledCapacityTB: 3,
    });
    expect(updated.status, updated.body).toBe(200);
    expectBlueXpError(
      await bluexp(serviceToken, 'DELETE', `/licenses/${resourceId}`),
      403,
      'FORBIDDEN',
    );
    expect((await bluexp(userToken, 'DELETE', `/licenses/${resourceId}`)).status).toBe(200);
    s.expectLogFreeOf(userToken, serviceToken);
  });

  it('missing, expired, forged tokens and wrong schemes answer the BlueXP 401', async () => {
    const shortLived = await mint('user', 60);
    expect((await bluexp(shortLived, 'GET', '/licenses')).status).toBe(200);
    s.h.clock.advance(10 * 60_000);
    expectBlueXpError(await bluexp(shortLived, 'GET', '/licenses'), 401, 'UNAUTHORIZED');
    expectBlueXpError(await bluexp('', 'GET', '/licenses', undefined, ''), 401, 'UNAUTHORIZED');
    expectBlueXpError(
      await bluexp(userToken, 'GET', '/licenses', undefined, `Basic ${userToken}`),
      401,
      'UNAUTHORIZED',
    );
    expectBlueXpError(
      await bluexp(userToken, 'GET', '/licenses', undefined, userToken),
      401,
      'UNAUTHORIZED',
    );
    expectBlueXpError(
      await bluexp(`${userToken.slice(0, -3)}abc`, 'GET', '/licenses'),
      401,
      'UNAUTHORIZED',
    );
  });
});
