import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { NpErrorSchema, NpLicenseListSchema } from '../../src/http/compat/netprofiler/schemas.js';
import { createUser, startLoginServer, type LoginServer } from './login-server.js';

/**
 * A Riverbed NetProfiler REST client against a real listening server: HTTP Basic on the
 * `mgmt.licenses` routes, or the common API's OAuth flow (access code in an unsigned assertion,
 * `state` echoed) with `Bearer`/`SignedBearer`, getting a new token when told
 * AUTH_EXPIRED_TOKEN or AUTH_INVALID_SESSION.
 */
const BASE = '/api/mgmt.licenses/1.0';
const BAFBG = 'BAFBG-ABIAA-AAAAA-AAAAA-BRBK6-IAAAA-PU3NC-AK2J6';
const MMZDK = 'MMZDK-ZS86U-AVVIP-U82CV-56SXK-AIXT0-VLAPI-7B574';
const USER = 'np-appliance';
const PASSWORD = 'riverbed-secret-9';

let s: LoginServer;
let accessCode: string;
let accessCodeId: string;

beforeEach(async () => {
  s = await startLoginServer();
  const { h } = s;
  await h.account('acme');
  const instance = await h.instance('acme');
  for (const key of [BAFBG, MMZDK]) {
    const issued = await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: { accountId: 'acme', key, description: `Key ${key.slice(0, 5)}` },
    });
    expect(issued.statusCode, issued.body).toBe(201);
  }
  await createUser(h, {
    username: USER,
    password: PASSWORD,
    accountId: 'acme',
    role: 'instance',
    instance,
  });
  const code = await h.request({ method: 'POST', url: `/v1/users/${USER}/access-codes` });
  expect(code.statusCode, code.body).toBe(201);
  ({ code: accessCode, id: accessCodeId } = JSON.parse(code.body) as { code: string; id: string });
});
afterEach(async () => {
  await s.close();
});

interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

class NetProfilerClient {
  token: string | null = null;
  tokenRequests = 0;
  lastState = '';

  constructor(
    private readonly base: string,
    private readonly auth:
      | { kind: 'basic'; user: string; password: string }
      | { kind: 'oauth'; code: string; scheme: 'Bearer' | 'SignedBearer' },
  ) {}

  async send(method: string, path: string, init: RequestInit = {}): Promise<Answer> {
    const response = await fetch(`${this.base}${path}`, { method, ...init });
    return { status: response.status, body: await response.text(), headers: response.headers };
  }

  async getToken(code: string): Promise<Answer> {
    this.lastState = `state-${String(this.tokenRequests)}`;
    const answer = await this.send('POST', '/api/common/1.0/oauth/token', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'access_code',
        assertion: `${b64url('{"alg":"none"}')}.${code}.`,
        state: this.lastState,
      }).toString(),
    });
    this.tokenRequests += 1;
    if (answer.status === 200) {
      this.token = (JSON.parse(answer.body) as { access_token: string }).access_token;
    }
    return answer;
  }

  authorization(): string {
    if (this.auth.kind === 'basic') {
      return `Basic ${Buffer.from(`${this.auth.user}:${this.auth.password}`).toString('base64')}`;
    }
    return `${this.auth.scheme} ${this.token ?? ''}`;
  }

  /** A call; on AUTH_EXPIRED_TOKEN or AUTH_INVALID_SESSION a new token, then once more. */
  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    if (this.auth.kind === 'oauth' && this.token === null) await this.getToken(this.auth.code);
    const once = () =>
      this.send(method, `${BASE}${path}`, {
        headers: {
          Authorization: this.authorization(),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const first = await once();
    if (first.status !== 401 || this.auth.kind !== 'oauth') return first;
    const id = (JSON.parse(first.body) as { error_id: string }).error_id;
    if (id !== 'AUTH_EXPIRED_TOKEN' && id !== 'AUTH_INVALID_SESSION') return first;
    if ((await this.getToken(this.auth.code)).status !== 200) return first;
    return once();
  }
}

/** A client sending USER's name and `password` as HTTP Basic on every call. */
function basicClient(password: string): NetProfilerClient {
  return new NetProfilerClient(s.base, { kind: 'basic', user: USER, password });
}

function expectNpError(answer: Answer, status: number, errorId: string): void {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as unknown;
  expect(Value.Check(NpErrorSchema, body), answer.body).toBe(true);
  expect((body as { error_id: string }).error_id).toBe(errorId);
}

/** Every call of the licenses API, in the order an appliance makes them. */
async function everyCall(client: NetProfilerClient): Promise<void> {
  const added = await client.call('POST', '/licenses', [BAFBG, MMZDK]);
  expect(added.status, added.body).toBe(200);
  expect(JSON.parse(added.body)).toEqual([{ [BAFBG]: 'success' }, { [MMZDK]: 'success' }]);
  const listed = await client.call('GET', '/licenses');
  expect(listed.status, listed.body).toBe(200);
  const list = JSON.parse(listed.body) as { Licenses: { key: string }[] };
  expect(Value.Check(NpLicenseListSchema, list)).toBe(true);
  expect(list.Licenses.map((l) => l.key).sort()).toEqual([BAFBG, MMZDK]);
  const removed = await client.call('DELETE', '/licenses', [MMZDK]);
  expect(removed.status, removed.body).toBe(200);
  const fetched = await client.call('GET', '/licenses/fetch');
  expect(fetched.status, fetched.body).toBe(200);
  expect(JSON.parse(fetched.body)).toHaveProperty('Message');
  const redeemed = await client.call('POST', '/licenses/request', { value: 'abcd1234' });
  expect(JSON.parse(redeemed.body)).toEqual({ Message: 'Invalid token abcd1234' });
  expect((await client.call('POST', '/licenses/auto_download', { value: 'true' })).status).toBe(
    204,
  );
  const auto = await client.call('GET', '/licenses/auto_download');
  expect(JSON.parse(auto.body)).toEqual({ value: 'true' });
}

describe('NetProfiler login', () => {
  it('HTTP Basic works on every mgmt.licenses call', async () => {
    const client = basicClient(PASSWORD);
    await everyCall(client);
    s.expectLogFreeOf(PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
  });

  it('GET /api/common/1.1/services lists the services for discovery', async () => {
    const client = basicClient(PASSWORD);
    const answer = await client.send('GET', '/api/common/1.1/services');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual(
      expect.arrayContaining([
        { id: 'common', versions: expect.arrayContaining(['1.0']) as unknown },
        { id: 'mgmt.licenses', versions: ['1.0'] },
      ]),
    );
  });

  for (const scheme of ['Bearer', 'SignedBearer'] as const) {
    it(`the OAuth access-code flow yields a token used as ${scheme} on every call`, async () => {
      const client = new NetProfilerClient(s.base, { kind: 'oauth', code: accessCode, scheme });
      const token = await client.getToken(accessCode);
      expect(token.status, token.body).toBe(200);
      const body = JSON.parse(token.body) as Record<string, unknown>;
      expect(body).toEqual({
        access_token: expect.any(String) as unknown,
        token_type: 'bearer',
        expires_in: 3600,
        state: client.lastState,
      });
      await everyCall(client);
      expect(client.tokenRequests).toBe(1);
      s.expectLogFreeOf(accessCode, client.token ?? 'no token');
    });
  }

  it('an expired token is AUTH_EXPIRED_TOKEN, and the client gets a new one', async () => {
    const client = new NetProfilerClient(s.base, {
      kind: 'oauth',
      code: accessCode,
      scheme: 'Bearer',
    });
    expect((await client.call('GET', '/licenses')).status).toBe(200);
    const first = client.token ?? '';
    s.h.clock.advance(3610_000);
    const expired = await client.send('GET', `${BASE}/licenses`, {
      headers: { Authorization: `Bearer ${first}` },
    });
    expectNpError(expired, 401, 'AUTH_EXPIRED_TOKEN');
    expect((await client.call('GET', '/licenses')).status).toBe(200);
    expect(client.tokenRequests).toBe(2);
    expect(client.token).not.toBe(first);
  });

  it('401s tell the client what to do: AUTH_REQUIRED, AUTH_INVALID_CREDENTIALS, AUTH_INVALID_SESSION', async () => {
    const client = new NetProfilerClient(s.base, { kind: 'basic', user: USER, password: 'nope' });
    expectNpError(await client.call('GET', '/licenses'), 401, 'AUTH_INVALID_CREDENTIALS');
    expectNpError(await client.send('GET', `${BASE}/licenses`), 401, 'AUTH_REQUIRED');
    expectNpError(
      await client.send('GET', `${BASE}/licenses`, { headers: { Authorization: 'Digest x=1' } }),
      401,
      'AUTH_REQUIRED',
    );
    expectNpError(
      await client.send('GET', `${BASE}/licenses`, { headers: { Authorization: 'Bearer a.b.c' } }),
      401,
      'AUTH_INVALID_SESSION',
    );
    // An unsigned (alg: none) token with the claims of an operator is refused: Entitle's own
    // verification never accepts `none`, only the OAuth assertion's envelope uses it.
    const claims = {
      sub: 'mallory',
      role: 'operator',
      accounts: '*',
      typ: 'user',
      iss: 'entitle',
      aud: 'entitle',
      iat: Math.floor(s.h.clock.now().getTime() / 1000),
      exp: Math.floor(s.h.clock.now().getTime() / 1000) + 3600,
    };
    const unsigned = `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify(claims))}.`;
    for (const scheme of ['Bearer', 'SignedBearer']) {
      expectNpError(
        await client.send('GET', `${BASE}/licenses`, {
          headers: { Authorization: `${scheme} ${unsigned}` },
        }),
        401,
        'AUTH_INVALID_SESSION',
      );
    }
    const native = await client.send('GET', '/v1/accounts', {
      headers: { Authorization: `Bearer ${unsigned}` },
    });
    expect(native.status).toBe(401);
    // The assertion itself is no token either.
    expectNpError(
      await client.send('GET', `${BASE}/licenses`, {
        headers: { Authorization: `Bearer ${b64url('{"alg":"none"}')}.${accessCode}.` },
      }),
      401,
      'AUTH_INVALID_SESSION',
    );
  });

  it('bad and revoked access codes are AUTH_INVALID_CREDENTIALS; a bad grant is a 400', async () => {
    const client = new NetProfilerClient(s.base, {
      kind: 'oauth',
      code: accessCode,
      scheme: 'Bearer',
    });
    expectNpError(await client.getToken('not-a-code'), 401, 'AUTH_INVALID_CREDENTIALS');
    const badGrant = await client.send('POST', '/api/common/1.0/oauth/token', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=password&assertion=${b64url('{"alg":"none"}')}.${accessCode}.`,
    });
    expectNpError(badGrant, 400, 'BAD_REQUEST');
    const signed = await client.send('POST', '/api/common/1.0/oauth/token', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=access_code&assertion=${b64url('{"alg":"HS256"}')}.${accessCode}.`,
    });
    expectNpError(signed, 401, 'AUTH_INVALID_CREDENTIALS');
    expect((await client.getToken(accessCode)).status).toBe(200);
    const revoked = await s.h.request({
      method: 'POST',
      url: `/v1/users/${USER}/access-codes/${accessCodeId}/revoke`,
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expectNpError(await client.getToken(accessCode), 401, 'AUTH_INVALID_CREDENTIALS');
  });

  it('a rotated password ends its sessions: AUTH_INVALID_SESSION', async () => {
    const client = new NetProfilerClient(s.base, {
      kind: 'oauth',
      code: accessCode,
      scheme: 'Bearer',
    });
    expect((await client.call('GET', '/licenses')).status).toBe(200);
    const rotated = await s.h.request({
      method: 'PUT',
      url: `/v1/users/${USER}/password`,
      body: { password: 'a-new-password-2' },
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    // This process forgets within REVOCATION_RECHECK_MS; the clock moves past it.
    s.h.clock.advance(6_000);
    const answer = await client.send('GET', `${BASE}/licenses`, {
      headers: { Authorization: `Bearer ${client.token ?? ''}` },
    });
    expectNpError(answer, 401, 'AUTH_INVALID_SESSION');
    const basic = basicClient(PASSWORD);
    expectNpError(await basic.call('GET', '/licenses'), 401, 'AUTH_INVALID_CREDENTIALS');
  });

  it('proven Basic credentials stop at once when the password is rotated, and obey the throttle', async () => {
    const appliance = basicClient(PASSWORD);
    expect((await appliance.call('GET', '/licenses')).status).toBe(200);
    expect((await appliance.call('GET', '/licenses')).status).toBe(200);
    const rotated = await s.h.request({
      method: 'PUT',
      url: `/v1/users/${USER}/password`,
      body: { password: 'a-new-password-2' },
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    // No clock moves: the stored hash changed, so the proven credentials are refused now.
    expectNpError(await appliance.call('GET', '/licenses'), 401, 'AUTH_INVALID_CREDENTIALS');
    const renewed = basicClient('a-new-password-2');
    expect((await renewed.call('GET', '/licenses')).status).toBe(200);

    const attacker = basicClient('guess-1234');
    // The renewed login cleared the username's window: five guesses, then the throttle.
    for (let i = 0; i < 5; i += 1) {
      expectNpError(await attacker.call('GET', '/licenses'), 401, 'AUTH_INVALID_CREDENTIALS');
    }
    expectNpError(await attacker.call('GET', '/licenses'), 429, 'TOO_MANY_REQUESTS');
    // Throttled means throttled for proven credentials too: otherwise the one guess that is not
    // answered 429 would be the right password.
    expectNpError(await renewed.call('GET', '/licenses'), 429, 'TOO_MANY_REQUESTS');
    s.h.clock.advance(15 * 60_000);
    expect((await renewed.call('GET', '/licenses')).status).toBe(200);
  });

  it('brute force on Basic gets 429 with Retry-After', async () => {
    const attacker = basicClient('guess-5678');
    for (let i = 0; i < 5; i += 1) {
      expectNpError(await attacker.call('GET', '/licenses'), 401, 'AUTH_INVALID_CREDENTIALS');
    }
    const blocked = await attacker.call('GET', '/licenses');
    expectNpError(blocked, 429, 'TOO_MANY_REQUESTS');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    s.expectLogFreeOf('guess-5678', PASSWORD);
  });
});
