import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLoginServer, type LoginServer } from './login-server.js';

/**
 * An Astra client against a real listening server: a static `Authorization: Bearer <API token>`
 * (an Entitle token minted for the account), every subscription call, and the RFC 7807 problem
 * on a missing, expired, forged or wrongly-schemed token.
 */
const ACCOUNT = 'a8e1ddb1-7e3f-4b6e-9a1c-3d2f1e0b9c77';
const BASE = `/accounts/${ACCOUNT}/core/v1/subscriptions`;

let s: LoginServer;
let token: string;

async function mint(ttlSeconds: number): Promise<string> {
  const response = await s.h.request({
    method: 'POST',
    url: '/v1/tokens',
    // Creating subscriptions is the vendor's (operator's) act in Entitle.
    body: { subject: 'astra-client', role: 'operator', accounts: '*', ttlSeconds },
  });
  expect(response.statusCode, response.body).toBe(201);
  return (JSON.parse(response.body) as { token: string }).token;
}

beforeEach(async () => {
  s = await startLoginServer();
  await s.h.account(ACCOUNT);
  token = await mint(3600);
});
afterEach(async () => {
  await s.close();
});

async function astra(method: string, path: string, body?: unknown, authorization?: string) {
  const response = await fetch(`${s.base}${BASE}${path}`, {
    method,
    headers: {
      Authorization: authorization ?? `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

function expectProblem(answer: { status: number; contentType: string | null; body: string }) {
  expect(answer.status, answer.body).toBe(401);
  expect(answer.contentType).toMatch(/^application\/problem\+json/);
  // Astra's problems carry the status as a string, as the document's examples do.
  expect(JSON.parse(answer.body)).toMatchObject({ status: '401' });
}

describe('Astra static API tokens', () => {
  it('runs every subscription call with the bearer token', async () => {
    const created = await astra('POST', '', {
      type: 'application/astra-subscription',
      version: '1.2',
      terms: 'trial',
    });
    expect(created.status, created.body).toBe(201);
    const { id } = JSON.parse(created.body) as { id: string };
    expect((await astra('GET', '?count=true')).status).toBe(200);
    expect((await astra('GET', `/${id}`)).status).toBe(200);
    const replaced = await astra('PUT', `/${id}`, {
      type: 'application/astra-subscription',
      version: '1.2',
      customerProfileID: '2157047189',
    });
    expect(replaced.status, replaced.body).toBe(204);
    expect((await astra('DELETE', `/${id}`)).status).toBe(204);
    s.expectLogFreeOf(token);
  });

  it('missing, expired, forged tokens and wrong schemes are 401 problems', async () => {
    expectProblem(await astra('GET', '', undefined, ''));
    expectProblem(await astra('GET', '', undefined, `Basic ${token}`));
    expectProblem(await astra('GET', '', undefined, token));
    expectProblem(await astra('GET', '', undefined, `Bearer ${token.slice(0, -3)}abc`));
    const shortLived = await mint(60);
    s.h.clock.advance(10 * 60_000);
    expectProblem(await astra('GET', '', undefined, `Bearer ${shortLived}`));
  });
});
