import type { LightMyRequestResponse } from 'fastify';
import { Value } from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActivationTokenSchema, normalizeToken } from '../../src/domain/activation-token.js';
import type { License } from '../../src/domain/license.js';
import { ProblemSchema } from '../../src/http/problems.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

interface Issue {
  name: string;
  reason: string;
}
interface Issued {
  id: string;
  token: string;
  hint: string;
  status: string;
  expiresAt: string;
}

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  await h.account('globex');
  const product = await h.request({
    method: 'POST',
    url: '/v1/products',
    body: {
      slug: 'flow-gateway',
      name: 'Flow Gateway',
      features: [{ id: 'NETFLOW', name: 'NetFlow' }],
    },
  });
  expect(product.statusCode, product.body).toBe(201);
});
afterEach(async () => {
  await h.close();
});

const DAY = 86_400_000;

async function issue(body: Record<string, unknown> = {}): Promise<Issued> {
  const response = await h.request({
    method: 'POST',
    url: '/v1/activation-tokens',
    body: {
      orderId: 'PO-77',
      count: 2,
      license: {
        product: 'flow-gateway',
        term: 'SUBSCRIPTION',
        durationDays: 365,
        seatLimit: 1,
        features: ['NETFLOW'],
      },
      ...body,
    },
  });
  expect(response.statusCode, response.body).toBe(201);
  return json<Issued>(response);
}

function redeem(body: Record<string, unknown>, token?: string) {
  return h.request({ method: 'POST', url: '/v1/activation-tokens/redeem', body, token });
}

function expectProblem(response: LightMyRequestResponse, status: number, slug: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const body = json(response);
  expect(Value.Check(ProblemSchema, body)).toBe(true);
  expect(body.type).toBe(`/problems/${slug}`);
  return body as { invalidFields?: Issue[]; detail: string; title: string };
}

function expectInvalidToken(response: LightMyRequestResponse, reason: string) {
  const problem = expectProblem(response, 400, 'invalid-fields');
  // The native detail is the catalog's; the reason names what is wrong with the token.
  expect(problem.invalidFields).toEqual([{ name: 'token', reason }]);
}

describe('activation tokens: issue', () => {
  it('shows the token once, then only its hint and status', async () => {
    const issued = await issue();
    expect(issued.token).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
    expect(issued.hint).toBe(normalizeToken(issued.token).slice(-4));
    expect(issued.status).toBe('redeemable');
    expect(issued.expiresAt).toBe('2027-02-21T12:00:00.000Z');
    const read = await h.request({ method: 'GET', url: `/v1/activation-tokens/${issued.id}` });
    expect(read.statusCode).toBe(200);
    expect(Value.Check(ActivationTokenSchema, json(read))).toBe(true);
    expect(read.body).not.toContain(issued.token);
    const list = json<{ items: { id: string }[] }>(
      await h.request({ method: 'GET', url: '/v1/activation-tokens' }),
    );
    expect(list.items.map((t) => t.id)).toEqual([issued.id]);
    expect(JSON.stringify(list)).not.toContain(issued.token);
  });

  it('refuses a bad order, naming the field', async () => {
    const post = (body: unknown) =>
      h.request({ method: 'POST', url: '/v1/activation-tokens', body });
    const missing = expectProblem(await post({ count: 1 }), 400, 'invalid-fields');
    expect(missing.invalidFields?.map((i) => i.name)).toContain('license');
    const unknown = expectProblem(
      await post({ license: { product: 'nope' } }),
      400,
      'invalid-fields',
    );
    expect(unknown.invalidFields).toEqual([
      { name: 'license.product', reason: 'no such product: nope' },
    ]);
    const tooMany = expectProblem(
      await post({ count: 101, license: { product: 'flow-gateway' } }),
      400,
      'invalid-fields',
    );
    expect(tooMany.invalidFields?.map((i) => i.name)).toEqual(['count']);
    const past = expectProblem(
      await post({ license: { product: 'flow-gateway' }, expiresAt: '2020-01-01T00:00:00Z' }),
      400,
      'invalid-fields',
    );
    expect(past.invalidFields).toEqual([{ name: 'expiresAt', reason: 'must be in the future' }]);
    const noAccount = expectProblem(
      await post({ accountId: 'ghost', license: { product: 'flow-gateway' } }),
      400,
      'invalid-fields',
    );
    expect(noAccount.invalidFields?.map((i) => i.name)).toEqual(['accountId']);
    // Nothing was half-written.
    const list = json<{ items: unknown[] }>(
      await h.request({ method: 'GET', url: '/v1/activation-tokens' }),
    );
    expect(list.items).toEqual([]);
  });

  it('is for operators only', async () => {
    const admin = await h.token('admin', ['acme']);
    const response = await h.request({
      method: 'POST',
      url: '/v1/activation-tokens',
      token: admin,
      body: { license: { product: 'flow-gateway' } },
    });
    expectProblem(response, 403, 'forbidden');
  });
});

describe('activation tokens: redeem', () => {
  it("issues the order's licenses into the redeemer's account, once", async () => {
    const issued = await issue();
    const admin = await h.token('admin', ['acme']);
    h.clock.advance(DAY);
    const response = await redeem({ token: issued.token, accountId: 'acme' }, admin);
    expect(response.statusCode, response.body).toBe(201);
    const body = json<{
      activationToken: Issued & { redeemedBy: unknown; licenseIds: string[] };
      licenses: License[];
    }>(response);
    expect(body.licenses).toHaveLength(2);
    for (const license of body.licenses) {
      expect(license).toMatchObject({
        accountId: 'acme',
        term: 'SUBSCRIPTION',
        seatLimit: 1,
        features: ['NETFLOW'],
        orderId: 'PO-77',
        description: 'Flow Gateway',
        expiresAt: '2027-11-24T12:00:00.000Z',
      });
      expect(license.validity.valid).toBe(true);
    }
    expect(body.activationToken).toMatchObject({
      status: 'redeemed',
      redeemedBy: { accountId: 'acme', subject: 'admin-test' },
      licenseIds: body.licenses.map((l) => l.id),
    });
    expectInvalidToken(
      await redeem({ token: issued.token, accountId: 'acme' }, admin),
      'already redeemed',
    );
    const events = json<{ items: { type: string }[] }>(
      await h.request({
        method: 'GET',
        url: "/v1/events?filter=resourceType eq 'activation-token'",
      }),
    );
    expect(events.items.map((e) => e.type).sort()).toEqual([
      'activation_token.created',
      'activation_token.redeemed',
    ]);
  });

  it('installs the licenses on the instance of an instance token', async () => {
    const issued = await issue({ count: 1 });
    const instanceId = await h.instance('acme');
    const appliance = await h.token('instance', ['acme'], { instance: instanceId });
    const response = await redeem({ token: issued.token.toLowerCase() }, appliance);
    expect(response.statusCode, response.body).toBe(201);
    const [license] = json<{ licenses: License[] }>(response).licenses;
    expect(license?.seatsUsed).toBe(1);
    const installed = json<{ items: { id: string }[] }>(
      await h.request({ method: 'GET', url: `/v1/instances/${instanceId}/licenses` }),
    );
    expect(installed.items.map((l) => l.id)).toEqual([license?.id]);
  });

  it('reads a token typed with look-alikes (O for 0, I or L for 1) and without dashes', async () => {
    const issued = await issue({ count: 1 });
    const typed = normalizeToken(issued.token).replace(/0/g, 'O').replace(/1/g, 'l').toLowerCase();
    expect((await redeem({ token: typed, accountId: 'acme' })).statusCode).toBe(201);
  });

  it("refuses unknown, expired, revoked and other accounts' tokens alike", async () => {
    expectInvalidToken(await redeem({ token: 'abcd1234', accountId: 'acme' }), 'unknown token');

    const expiring = await issue({ expiresAt: '2026-11-30T00:00:00Z' });
    h.clock.set('2026-11-30T00:00:00Z');
    expectInvalidToken(await redeem({ token: expiring.token, accountId: 'acme' }), 'expired');

    const revoked = await issue();
    const revoke = await h.request({
      method: 'POST',
      url: `/v1/activation-tokens/${revoked.id}/revoke`,
    });
    expect(json(revoke)).toMatchObject({ status: 'revoked' });
    expectInvalidToken(await redeem({ token: revoked.token, accountId: 'acme' }), 'revoked');
    expectProblem(
      await h.request({ method: 'POST', url: `/v1/activation-tokens/${revoked.id}/revoke` }),
      400,
      'invalid-fields',
    );

    const forGlobex = await issue({ accountId: 'globex' });
    expectInvalidToken(
      await redeem({ token: forGlobex.token, accountId: 'acme' }),
      'unknown token',
    );
    const acmeAdmin = await h.token('admin', ['acme']);
    expectProblem(
      await h.request({
        method: 'GET',
        url: `/v1/activation-tokens/${forGlobex.id}`,
        token: acmeAdmin,
      }),
      404,
      'not-found',
    );
    const globexAdmin = await h.token('admin', ['globex']);
    expect(
      (
        await h.request({
          method: 'GET',
          url: `/v1/activation-tokens/${forGlobex.id}`,
          token: globexAdmin,
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await redeem({ token: forGlobex.token, accountId: 'globex' }, globexAdmin)).statusCode,
    ).toBe(201);
    // Nothing was issued by the refusals.
    const licenses = json<{ items: unknown[] }>(
      await h.request({ method: 'GET', url: '/v1/licenses' }),
    );
    expect(licenses.items).toHaveLength(2);
  });

  it('lets exactly one of many concurrent redemptions win', async () => {
    const issued = await issue();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => redeem({ token: issued.token, accountId: 'acme' })),
    );
    expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.statusCode === 400)).toHaveLength(19);
    const licenses = json<{ items: unknown[] }>(
      await h.request({ method: 'GET', url: '/v1/licenses' }),
    );
    expect(licenses.items).toHaveLength(2);
  });

  it('refuses a viewer, and an account outside the token', async () => {
    const issued = await issue();
    const viewer = await h.token('viewer', ['acme']);
    expectProblem(
      await redeem({ token: issued.token, accountId: 'acme' }, viewer),
      403,
      'forbidden',
    );
    const admin = await h.token('admin', ['globex']);
    expect((await redeem({ token: issued.token, accountId: 'acme' }, admin)).statusCode).toBe(404);
    const missing = expectProblem(
      await redeem({ token: issued.token }, admin),
      400,
      'invalid-fields',
    );
    expect(missing.invalidFields?.map((i) => i.name)).toEqual(['instance']);
  });
});
