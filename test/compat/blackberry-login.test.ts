import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import {
  BlackBerryErrorSchema,
  GroupsLicensingInformationSchema,
  LICENSING_MEDIA_TYPE,
  LicensingInformationSchema,
} from '../../src/http/compat/blackberry/schemas.js';
import { createUser, startLoginServer, type LoginServer } from './login-server.js';

/**
 * A BlackBerry UEM REST client against a real listening server: it logs in at
 * `/{tenantGuid}/api/v1/util/authorization` with the authorization-request media type and a
 * base64 password, takes the raw body as the token, sends it as `Authorization: <token>` with
 * no scheme, and logs in again on a 401.
 */
const TENANT = 'SRP00000';
const USER = 'uem-admin';
const PASSWORD = 'pässwörd-für-UEM';
const AUTH_TYPE = 'application/vnd.blackberry.authorizationrequest-v1+json';

let s: LoginServer;

beforeEach(async () => {
  s = await startLoginServer();
  await s.h.account(TENANT);
  await s.h.account('other-tenant');
  await createUser(s.h, { username: USER, password: PASSWORD, accountId: TENANT, role: 'admin' });
});
afterEach(async () => {
  await s.close();
});

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
  headers: Headers;
}

class UemClient {
  token: string | null = null;
  logins = 0;

  constructor(
    private readonly base: string,
    private readonly tenant = TENANT,
    private readonly username = USER,
    private readonly password = PASSWORD,
    private readonly provider = 'LOCAL',
  ) {}

  async authorize(): Promise<Answer> {
    const answer = await this.send('POST', `/${this.tenant}/api/v1/util/authorization`, {
      headers: { 'Content-Type': AUTH_TYPE },
      body: JSON.stringify({
        provider: this.provider,
        username: this.username,
        password: Buffer.from(this.password, 'utf8').toString('base64'),
      }),
    });
    if (answer.status === 200) {
      this.token = answer.body;
      this.logins += 1;
    }
    return answer;
  }

  async send(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<Answer> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: await response.text(),
      headers: response.headers,
    };
  }

  /** GET with `Authorization: <token>`; one new login on a 401. */
  async get(path: string): Promise<Answer> {
    if (this.token === null) await this.authorize();
    const call = () =>
      this.send('GET', `/${this.tenant}/api/v1${path}`, {
        headers: { Authorization: this.token ?? '', Accept: LICENSING_MEDIA_TYPE },
      });
    const first = await call();
    if (first.status !== 401) return first;
    if ((await this.authorize()).status !== 200) return first;
    return call();
  }
}

function expectUemError(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.body).toBe(status);
  const body = JSON.parse(answer.body) as unknown;
  expect(Value.Check(BlackBerryErrorSchema, body), answer.body).toBe(true);
  expect((body as { code: string }).code).toBe(code);
}

describe('BlackBerry UEM login', () => {
  it('util/authorization answers the token as the raw body; every licensing call works with it', async () => {
    const client = new UemClient(s.base);
    const login = await client.authorize();
    expect(login.status, login.body).toBe(200);
    expect(login.contentType).toBe('text/plain');
    expect(login.body.split('.')).toHaveLength(3);
    expect(login.body).not.toContain('"');

    const licensing = await client.get('/licensing');
    expect(licensing.status, licensing.body).toBe(200);
    expect(licensing.contentType).toBe(`${LICENSING_MEDIA_TYPE}; charset=utf-8`);
    expect(Value.Check(LicensingInformationSchema, JSON.parse(licensing.body))).toBe(true);
    const groups = await client.get('/licensing/groups');
    expect(groups.status, groups.body).toBe(200);
    expect(Value.Check(GroupsLicensingInformationSchema, JSON.parse(groups.body))).toBe(true);

    // Bearer works as well as the bare token.
    const bearer = await client.send('GET', `/${TENANT}/api/v1/licensing`, {
      headers: { Authorization: `Bearer ${login.body}` },
    });
    expect(bearer.status).toBe(200);
    expect(client.logins).toBe(1);
    s.expectLogFreeOf(PASSWORD, Buffer.from(PASSWORD).toString('base64'), login.body);
  });

  it('bad credentials, unknown provider, another tenant: 401 in UEM format', async () => {
    for (const client of [
      new UemClient(s.base, TENANT, USER, 'wrong password'),
      new UemClient(s.base, TENANT, 'nobody', PASSWORD),
      new UemClient(s.base, TENANT, USER, PASSWORD, 'KERBEROS'),
      new UemClient(s.base, 'other-tenant', USER, PASSWORD),
    ]) {
      expectUemError(await client.authorize(), 401, 'UNAUTHORIZED');
      expect(client.token).toBeNull();
    }
    // The AD provider is checked against the same local users.
    expect((await new UemClient(s.base, TENANT, USER, PASSWORD, 'AD').authorize()).status).toBe(
      200,
    );
  });

  it('wrong schemes, forged and expired tokens: 401; the client logs in again', async () => {
    const client = new UemClient(s.base);
    await client.authorize();
    const token = client.token ?? '';
    for (const authorization of [
      `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
      `Token ${token}`,
      `${token.slice(0, -4)}AAAA`,
    ]) {
      const answer = await client.send('GET', `/${TENANT}/api/v1/licensing`, {
        headers: { Authorization: authorization },
      });
      expectUemError(answer, 401, 'UNAUTHORIZED');
    }
    expectUemError(await client.send('GET', `/${TENANT}/api/v1/licensing`), 401, 'UNAUTHORIZED');

    s.h.clock.advance(3610_000);
    const expired = await client.send('GET', `/${TENANT}/api/v1/licensing`, {
      headers: { Authorization: token },
    });
    expectUemError(expired, 401, 'UNAUTHORIZED');
    expect((await client.get('/licensing')).status).toBe(200);
    expect(client.logins).toBe(2);
    expect(client.token).not.toBe(token);
  });

  it("a tenant's token does not open another tenant (404, as a missing one)", async () => {
    const client = new UemClient(s.base);
    await client.authorize();
    const answer = await client.send('GET', '/other-tenant/api/v1/licensing', {
      headers: { Authorization: client.token ?? '' },
    });
    expectUemError(answer, 404, 'NOT_FOUND');
  });

  it('a malformed login is a 400; brute force gets 429 with Retry-After', async () => {
    const client = new UemClient(s.base);
    const malformed = await client.send('POST', `/${TENANT}/api/v1/util/authorization`, {
      headers: { 'Content-Type': AUTH_TYPE },
      body: JSON.stringify({ provider: 'LOCAL', username: USER, password: 'not base64!' }),
    });
    expectUemError(malformed, 400, 'BAD_REQUEST');
    const attacker = new UemClient(s.base, TENANT, USER, 'guess-1234');
    for (let i = 0; i < 5; i += 1) expectUemError(await attacker.authorize(), 401, 'UNAUTHORIZED');
    const blocked = await attacker.authorize();
    expectUemError(blocked, 429, 'TOO_MANY_REQUESTS');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expectUemError(await client.authorize(), 429, 'TOO_MANY_REQUESTS');
    s.expectLogFreeOf(PASSWORD, 'guess-1234');
  });
});
