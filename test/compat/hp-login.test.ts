import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { HpErrorSchema, HpLicenseEnvelopeSchema } from '../../src/http/compat/hp/schemas.js';
import { createUser, startLoginServer, system, type LoginServer } from './login-server.js';

/**
 * An HP VAN SDN controller client against a real listening server: it logs in at
 * `/sdn/v2.0/auth`, sends `X-Auth-Token`, compares `Content-Type` as a string (exactly
 * `application/json`, or `text/plain` for bare values), sends the bare key with
 * `Content-Type: application/json`, and logs in again when told `UnauthorizedException`.
 */
const KEY = 'CYIBMJJIHJQA6-IRTEQ2QUNBYCA-CSSDJIEIJFKIQ-VAI2QUJBYC42A';
const USER = 'ctl-admin';
const PASSWORD = 'sdn-controller-pw-1';

let s: LoginServer;

beforeEach(async () => {
  s = await startLoginServer();
  const { h } = s;
  await h.account('acme');
  await h.services.products.create(system(h), {
    id: 1,
    slug: 'hp-van-sdn-ctrl-base',
    name: 'HP VAN SDN Ctrl Base',
    metrics: [{ id: 1, name: 'Controller Node', unit: 'nodes' }],
  });
  const instance = await h.services.instances.create(system(h), {
    accountId: 'acme',
    installId: 1234567,
  });
  await h.services.licenses.issue(system(h), {
    accountId: 'acme',
    product: 1,
    key: KEY,
    term: 'SUBSCRIPTION',
    metricId: 1,
    quantity: 50,
    baseLicense: true,
    expiresAt: '2030-01-01T00:00:00.000Z',
  });
  await createUser(h, {
    username: USER,
    password: PASSWORD,
    accountId: 'acme',
    role: 'instance',
    instance: instance.id,
  });
});
afterEach(async () => {
  await s.close();
});

interface HpAnswer {
  status: number;
  contentType: string | null;
  body: string;
  headers: Headers;
}

/** What an HP controller client does, including logging in again on UnauthorizedException. */
class HpClient {
  token: string | null = null;
  logins = 0;

  constructor(
    private readonly base: string,
    private readonly user = USER,
    private readonly password = PASSWORD,
  ) {}

  async login(): Promise<HpAnswer> {
    const answer = await this.raw('POST', '/sdn/v2.0/auth', {
      body: JSON.stringify({ login: { user: this.user, password: this.password, domain: 'sdn' } }),
      contentType: 'application/json',
      auth: false,
    });
    if (answer.status === 200) {
      this.token = (JSON.parse(answer.body) as { record: { token: string } }).record.token;
      this.logins += 1;
    }
    return answer;
  }

  async raw(
    method: string,
    path: string,
    options: { body?: string; contentType?: string; auth?: boolean } = {},
  ): Promise<HpAnswer> {
    const headers: Record<string, string> = {};
    if (options.contentType !== undefined) headers['Content-Type'] = options.contentType;
    if (options.auth !== false && this.token !== null) headers['X-Auth-Token'] = this.token;
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: await response.text(),
      headers: response.headers,
    };
  }

  /** A call that re-authenticates once on HP's 401. */
  async call(
    method: string,
    path: string,
    options: { body?: string; contentType?: string } = {},
  ): Promise<HpAnswer> {
    if (this.token === null) await this.login();
    const first = await this.raw(method, path, options);
    if (first.status !== 401) return first;
    const error = JSON.parse(first.body) as { error: string };
    if (error.error !== 'UnauthorizedException') return first;
    const relogin = await this.login();
    if (relogin.status !== 200) return first;
    return this.raw(method, path, options);
  }
}

function expectJson(answer: HpAnswer, status = 200): unknown {
  expect(answer.status, answer.body).toBe(status);
  expect(answer.contentType).toBe('application/json');
  return JSON.parse(answer.body);
}

function expectHpError(answer: HpAnswer, status: number, error: string): void {
  const body = expectJson(answer, status);
  expect(Value.Check(HpErrorSchema, body), answer.body).toBe(true);
  expect((body as { error: string }).error).toBe(error);
}

function expectText(answer: HpAnswer, body: string): void {
  expect(answer.status, answer.body).toBe(200);
  expect(answer.contentType).toBe('text/plain');
  expect(answer.body).toBe(body);
}

describe('HP VAN SDN login', () => {
  it('POST /sdn/v2.0/auth answers the record, as exact JSON', async () => {
    // How fast it answers is the benchmark's business (a timed test only measures the machine).
    const client = new HpClient(s.base);
    const answer = await client.login();
    const body = expectJson(answer) as {
      record: { token: string; expiration: number; userName: string; domain: string };
    };
    expect(Object.keys(body.record).sort()).toEqual(['domain', 'expiration', 'token', 'userName']);
    expect(body.record.userName).toBe(USER);
    expect(body.record.domain).toBe('sdn');
    expect(body.record.expiration).toBe(s.h.clock.now().getTime() + 3600_000);
    expect(body.record.token.split('.')).toHaveLength(3);
  });

  it('a logged-in client runs every licensing call end to end', async () => {
    const client = new HpClient(s.base);
    // The bare key with Content-Type: application/json, as real clients send it.
    const added = await client.call('POST', '/sdn/v2.0/licenses', {
      body: KEY,
      contentType: 'application/json',
    });
    const envelope = expectJson(added) as { license: { serial_no: number; install_id: number } };
    expect(Value.Check(HpLicenseEnvelopeSchema, envelope)).toBe(true);
    expect(envelope.license.install_id).toBe(1234567);
    const serial = String(envelope.license.serial_no);
    // Again as a quoted JSON string and as text/plain: already installed, same license.
    for (const [body, contentType] of [
      [JSON.stringify(KEY), 'application/json'],
      [KEY, 'text/plain'],
    ] as const) {
      const again = expectJson(
        await client.call('POST', '/sdn/v2.0/licenses', { body, contentType }),
      ) as { license: { serial_no: number } };
      expect(again.license.serial_no).toBe(envelope.license.serial_no);
    }

    const list = expectJson(await client.call('GET', '/sdn/v2.0/licenses')) as {
      licenses: unknown[];
    };
    expect(list.licenses).toHaveLength(1);
    const byKey = expectJson(
      await client.call('GET', `/sdn/v2.0/licenses?key=${encodeURIComponent(`"${KEY}"`)}`),
    ) as { license: { serial_no: number } };
    expect(byKey.license.serial_no).toBe(envelope.license.serial_no);
    expectJson(await client.call('GET', `/sdn/v2.0/licenses/${serial}`));
    expectText(await client.call('GET', '/sdn/v2.0/licenses/installid'), '1234567');
    expectText(await client.call('GET', '/sdn/v2.0/licenses/islicensed?product_id=1'), 'true');
    const level = await client.call(
      'GET',
      '/sdn/v2.0/licenses/compliance?product_id=1&metric_id=1',
    );
    expectText(level, level.body);
    expect(Number(level.body)).toBeGreaterThanOrEqual(0);
    expect(Number(level.body)).toBeLessThanOrEqual(1);

    // Deactivation in the document's form…
    const deactivated = expectJson(
      await client.call('POST', `/sdn/v2.0/licenses/${serial}/action`, {
        body: 'deactivate',
        contentType: 'text/plain',
      }),
    ) as { license: { license_status: string; deactivated_key: string | null } };
    expect(deactivated.license.deactivated_key).not.toBeNull();
    expectText(await client.call('GET', '/sdn/v2.0/licenses/islicensed?product_id=1'), 'false');
    // …and as {"action": "deactivate"} on the license itself (install again first).
    expectJson(
      await client.call('POST', '/sdn/v2.0/licenses', { body: KEY, contentType: 'text/plain' }),
    );
    expectText(await client.call('GET', '/sdn/v2.0/licenses/islicensed?product_id=1'), 'true');
    expectJson(
      await client.call('POST', `/sdn/v2.0/licenses/${serial}`, {
        body: JSON.stringify({ action: 'deactivate' }),
        contentType: 'application/json',
      }),
    );
    expectText(await client.call('GET', '/sdn/v2.0/licenses/islicensed?product_id=1'), 'false');
    expectHpError(
      await client.call('POST', `/sdn/v2.0/licenses/${serial}`, {
        body: JSON.stringify({ action: 'explode' }),
        contentType: 'application/json',
      }),
      400,
      'IllegalArgumentException',
    );
    expect(client.logins).toBe(1);
    s.expectLogFreeOf(PASSWORD, client.token ?? 'no token');
  });

  it('DELETE /sdn/v2.0/auth logs out: the token stops working at once', async () => {
    const client = new HpClient(s.base);
    await client.login();
    const token = client.token ?? '';
    expectJson(await client.raw('GET', '/sdn/v2.0/licenses'));
    const out = await client.raw('DELETE', '/sdn/v2.0/auth');
    expect(out.status, out.body).toBe(204);
    expectHpError(await client.raw('GET', '/sdn/v2.0/licenses'), 401, 'UnauthorizedException');
    expectHpError(await client.raw('DELETE', '/sdn/v2.0/auth'), 401, 'UnauthorizedException');
    // The client logs in again and carries on with a new token.
    expectJson(await client.call('GET', '/sdn/v2.0/licenses'));
    expect(client.token).not.toBe(token);
    expect(client.logins).toBe(2);
    s.expectLogFreeOf(PASSWORD, token);
  });

  it('an expired token is an UnauthorizedException, and the client logs in again', async () => {
    const client = new HpClient(s.base);
    await client.login();
    const first = client.token;
    s.h.clock.advance(3610_000);
    expectHpError(await client.raw('GET', '/sdn/v2.0/licenses'), 401, 'UnauthorizedException');
    expectJson(await client.call('GET', '/sdn/v2.0/licenses'));
    expect(client.token).not.toBe(first);
    expect(client.logins).toBe(2);
  });

  it('bad credentials, wrong schemes and malformed logins get HP errors', async () => {
    const wrong = new HpClient(s.base, USER, 'not-the-password');
    expectHpError(await wrong.login(), 401, 'UnauthorizedException');
    const nobody = new HpClient(s.base, 'nobody', PASSWORD);
    expectHpError(await nobody.login(), 401, 'UnauthorizedException');

    const client = new HpClient(s.base);
    for (const authorization of ['Basic Y3RsLWFkbWluOnB3', 'Token abc', 'Bearer not.a.jwt']) {
      const response = await fetch(`${s.base}/sdn/v2.0/licenses`, { headers: { authorization } });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(((await response.json()) as { error: string }).error).toBe('UnauthorizedException');
    }
    expectHpError(await client.raw('GET', '/sdn/v2.0/licenses'), 401, 'UnauthorizedException');
    expectHpError(
      await client.raw('POST', '/sdn/v2.0/auth', {
        body: '{"login": {"user": "ctl-admin"',
        contentType: 'application/json',
        auth: false,
      }),
      400,
      'IllegalArgumentException',
    );
    expectHpError(
      await client.raw('POST', '/sdn/v2.0/auth', {
        body: JSON.stringify({ user: USER, password: PASSWORD }),
        contentType: 'application/json',
        auth: false,
      }),
      400,
      'IllegalArgumentException',
    );
    expectHpError(await client.raw('PUT', '/sdn/v2.0/auth'), 405, 'MethodNotAllowedException');
    s.expectLogFreeOf(PASSWORD, 'not-the-password');
  });

  it('brute force gets 429 with Retry-After, per user, until the window ends', async () => {
    const attacker = new HpClient(s.base, USER, 'guess-0000');
    for (let i = 0; i < 5; i += 1) {
      expectHpError(await attacker.login(), 401, 'UnauthorizedException');
    }
    const blocked = await attacker.login();
    expectHpError(blocked, 429, 'TooManyRequestsException');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right password waits until the window ends.
    const owner = new HpClient(s.base);
    expectHpError(await owner.login(), 429, 'TooManyRequestsException');
    s.h.clock.advance(15 * 60_000);
    expectJson(await owner.login());
    s.expectLogFreeOf(PASSWORD, 'guess-0000', owner.token ?? 'no token');
  });
});
