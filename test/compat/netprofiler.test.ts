import type { LightMyRequestResponse } from 'fastify';
import { Value } from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import { FETCH_UNAVAILABLE } from '../../src/domain/upstream.js';
import {
  KeyResultsSchema,
  NpErrorSchema,
  NpLicenseListSchema,
  type NpError,
  type NpLicense,
} from '../../src/http/compat/netprofiler/schemas.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

/** Conformance of the Riverbed NetProfiler licenses facade with reference 001. */
const BASE = '/api/mgmt.licenses/1.0/licenses';
const BAFBG = 'BAFBG-ABIAA-AAAAA-AAAAA-BRBK6-IAAAA-PU3NC-AK2J6';
const BAFBG_DESCRIPTION = 'SteelCentral Virtual Flow Gateway 2M Flows Per Minute Feature Key';
const MMZDK = 'MMZDK-ZS86U-AVVIP-U82CV-56SXK-AIXT0-VLAPI-7B574';
const SSIF1 = 'SSIF1-VUDHF-7QGZJ-YUHYW-YYA5J-EK9WS-V4/W4-CC3D6';
const SSIF1_TRUNCATED = 'SSIF1-VUDHF-7QGZJ-YUHYW-YYA5J-EK9WS-V4/W4-CC3D';
const FIRST_INSTALL = '2022-02-24T00:16:43Z';
const SECOND_INSTALL = '2022-02-25T01:37:08Z';

let h: Harness;
let operator: string;
let appliance: string;
let instanceId: string;
let deviceSerial: string;

beforeEach(async () => {
  h = await createHarness();
  // The document's dates: everything happens in February 2022, tokens included.
  h.clock.set(FIRST_INSTALL);
  operator = await h.token('operator', '*');
  const request = (body: unknown) =>
    h.request({ method: 'POST', url: '/v1/accounts', token: operator, body });
  expect((await request({ id: 'acme', name: 'Acme' })).statusCode).toBe(201);
  expect((await request({ id: 'globex', name: 'Globex' })).statusCode).toBe(201);
  instanceId = await h.instance('acme');
  deviceSerial = (
    await h.services.instances.get(
      { principal: systemPrincipal, requestId: null, clock: h.clock },
      instanceId,
    )
  ).deviceSerial;
  appliance = await h.token('instance', ['acme'], { instance: instanceId });
  for (const [key, description] of [
    [BAFBG, BAFBG_DESCRIPTION],
    [MMZDK, 'SteelCentral NetProfiler Flow Key'],
  ]) {
    const issued = await h.request({
      method: 'POST',
      url: '/v1/licenses',
      token: operator,
      body: { accountId: 'acme', key, description },
    });
    expect(issued.statusCode, issued.body).toBe(201);
  }
});
afterEach(async () => {
  await h.close();
});

const np = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) =>
  h.request({ method, url: `${BASE}${path}`, token: appliance, body });

function expectError(response: LightMyRequestResponse, status: number, id: string): NpError {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = json<NpError>(response);
  expect(Value.Check(NpErrorSchema, body)).toBe(true);
  expect(body.error_id).toBe(id);
  expect(body.error_text.length).toBeGreaterThan(0);
  return body;
}

/** The document's state: BAFBG installed on the 24th, the add example replayed on the 25th. */
async function replayAddExample(): Promise<LightMyRequestResponse> {
  const first = await np('POST', '', [BAFBG]);
  expect(json(first)).toEqual([{ [BAFBG]: 'success' }]);
  h.clock.set(SECOND_INSTALL);
  return np('POST', '', [MMZDK, SSIF1, 'abcd']);
}

describe('POST licenses (add example)', () => {
  it('answers a result per key', async () => {
    const response = await replayAddExample();
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = json(response);
    expect(Value.Check(KeyResultsSchema, body)).toBe(true);
    expect(body).toEqual([
      { [MMZDK]: 'success' },
      { [SSIF1]: 'success' },
      { abcd: 'License key format not supported' },
    ]);
  });

  it('is harmless when repeated', async () => {
    await replayAddExample();
    expect(json(await np('POST', '', [MMZDK, SSIF1]))).toEqual([
      { [MMZDK]: 'success' },
      { [SSIF1]: 'success' },
    ]);
    expect(json<{ Licenses: NpLicense[] }>(await np('GET', '')).Licenses).toHaveLength(3);
  });
});

describe('GET licenses (list example)', () => {
  it('lists {"Licenses": [...]} with the document fields', async () => {
    await replayAddExample();
    const response = await np('GET', '');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = json<{ Licenses: NpLicense[] }>(response);
    expect(Value.Check(NpLicenseListSchema, body)).toBe(true);
    expect(Object.keys(body)).toEqual(['Licenses']);
    const byKey = new Map(body.Licenses.map((l) => [l.key, l]));
    expect(byKey.get(BAFBG)).toEqual({
      key: BAFBG,
      description: BAFBG_DESCRIPTION,
      'device serial number': deviceSerial,
      'installed date': 'Thu, 24 Feb 2022 00:16:43 GMT',
      status: 'Valid',
    });
    expect(byKey.get(SSIF1)).toEqual({
      key: SSIF1,
      description: 'Unrecognized License',
      'device serial number': deviceSerial,
      'installed date': 'Fri, 25 Feb 2022 01:37:08 GMT',
      status: 'Invalid',
    });
    expect(byKey.get(MMZDK)?.status).toBe('Valid');
    expect(body.Licenses).toHaveLength(3);
    for (const license of body.Licenses)
      expect(license['installed date']).toMatch(
        /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/,
      );
  });

  it('shows a license that expired as Invalid', async () => {
    const issued = await h.request({
      method: 'POST',
      url: '/v1/licenses',
      token: operator,
      body: {
        accountId: 'acme',
        key: 'AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF-GGGGG-HHHHH',
        expiresAt: '2022-03-01T00:00:00Z',
      },
    });
    expect(issued.statusCode, issued.body).toBe(201);
    await np('POST', '', ['AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF-GGGGG-HHHHH']);
    h.clock.set('2022-03-02T00:00:00Z');
    const list = json<{ Licenses: NpLicense[] }>(await np('GET', '')).Licenses;
    expect(list).toEqual([expect.objectContaining({ status: 'Invalid' })]);
  });

  it('is scoped to the calling appliance', async () => {
    await replayAddExample();
    const other = await h.instance('acme');
    const otherToken = await h.token('instance', ['acme'], { instance: other });
    const globexInstance = await h.instance('globex');
    const globex = await h.token('instance', ['globex'], { instance: globexInstance });
    for (const token of [otherToken, globex]) {
      const response = await h.request({ method: 'GET', url: BASE, token });
      expect(json(response)).toEqual({ Licenses: [] });
    }
    // Another account cannot remove acme's keys.
    const removed = await h.request({ method: 'DELETE', url: BASE, token: globex, body: [BAFBG] });
    expect(json(removed)).toEqual([{ [BAFBG]: 'not installed' }]);
    expect(json<{ Licenses: NpLicense[] }>(await np('GET', '')).Licenses).toHaveLength(3);
  });
});

describe('DELETE licenses (delete example)', () => {
  it('accepts the document request body and answers per key', async () => {
    await replayAddExample();
    // The document's request example is its response's shape: an array of {key: result}.
    const response = await np('DELETE', '', [
      { [MMZDK]: 'success' },
      { [SSIF1_TRUNCATED]: 'License key format not supported' },
    ]);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(json(response)).toEqual([
      { [MMZDK]: 'success' },
      { [SSIF1_TRUNCATED]: 'License key format not supported' },
    ]);
    const keys = json<{ Licenses: NpLicense[] }>(await np('GET', '')).Licenses.map((l) => l.key);
    expect(keys.sort()).toEqual([BAFBG, SSIF1].sort());
  });

  it('accepts an array of key strings, as the schema says', async () => {
    await replayAddExample();
    expect(json(await np('DELETE', '', [SSIF1, BAFBG, 'abcd']))).toEqual([
      { [SSIF1]: 'success' },
      { [BAFBG]: 'success' },
      { abcd: 'License key format not supported' },
    ]);
    expect(json(await np('GET', ''))).toEqual({
      Licenses: [expect.objectContaining({ key: MMZDK })],
    });
  });
});

describe('fetch, request, auto_download', () => {
  it('GET fetch answers the document message (no upstream server yet)', async () => {
    const response = await np('GET', '/fetch');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(json(response)).toEqual({ Message: FETCH_UNAVAILABLE });
    expect(FETCH_UNAVAILABLE).toBe(
      'Could not contact license server or there are currently no licenses available for this host.',
    );
  });

  it('POST request answers the document example', async () => {
    const response = await np('POST', '/request', { value: 'abcd1234' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(json(response)).toEqual({ Message: 'Invalid token abcd1234' });
    expectError(await np('POST', '/request', { token: 'abcd1234' }), 400, 'BAD_REQUEST');
  });

  it('POST request redeems a purchase token into licenses installed on this appliance', async () => {
    const product = await h.request({
      method: 'POST',
      url: '/v1/products',
      token: operator,
      body: { slug: 'netprofiler-flow', name: 'NetProfiler Flow Key' },
    });
    expect(product.statusCode, product.body).toBe(201);
    const issued = await h.request({
      method: 'POST',
      url: '/v1/activation-tokens',
      token: operator,
      body: { count: 2, license: { product: 'netprofiler-flow', durationDays: 365 } },
    });
    expect(issued.statusCode, issued.body).toBe(201);
    const { token } = json<{ token: string }>(issued);
    const redeemed = await np('POST', '/request', { value: token });
    expect(redeemed.statusCode).toBe(200);
    expect(json(redeemed)).toEqual({ Message: `Token ${token} redeemed: 2 licenses installed.` });
    const listed = json<{ Licenses: NpLicense[] }>(await np('GET', '')).Licenses;
    expect(listed.filter((l) => l.description === 'NetProfiler Flow Key')).toHaveLength(2);
    expect(listed.every((l) => l.status === 'Valid')).toBe(true);
    // Once only: the second try reads as the document's refusal.
    expect(json(await np('POST', '/request', { value: token }))).toEqual({
      Message: `Invalid token ${token}`,
    });
  });

  it('GET/POST auto_download read and write the account setting', async () => {
    expect(json(await np('GET', '/auto_download'))).toEqual({ value: 'false' });
    const set = await np('POST', '/auto_download', { value: 'true' });
    expect(set.statusCode).toBe(204);
    expect(set.body).toBe('');
    const read = await np('GET', '/auto_download');
    expect(read.statusCode).toBe(200);
    expect(read.headers['content-type']).toMatch(/^application\/json/);
    expect(json(read)).toEqual({ value: 'true' });
    // The native API sees (and can make) the same change.
    const account = json<{ settings: { autoDownload: boolean } }>(
      await h.request({ method: 'GET', url: '/v1/accounts/acme', token: operator }),
    );
    expect(account.settings.autoDownload).toBe(true);
    expect((await np('POST', '/auto_download', { value: 'false' })).statusCode).toBe(204);
    expect(json(await np('GET', '/auto_download'))).toEqual({ value: 'false' });
  });

  it('refuses any auto_download value but "true" and "false" (400)', async () => {
    for (const body of [{ value: 'yes' }, { value: true }, {}, { value: 'true', extra: 1 }]) {
      const error = expectError(await np('POST', '/auto_download', body), 400, 'BAD_REQUEST');
      expect(error.error_info).toBeDefined();
    }
    expect(json(await np('GET', '/auto_download'))).toEqual({ value: 'false' });
  });
});

describe('accounts.setAutoDownload', () => {
  it('lets admins and the account’s own appliances switch it, nobody else', async () => {
    const ctx = (principal: Parameters<typeof h.services.accounts.get>[0]['principal']) => ({
      principal,
      requestId: null,
      clock: h.clock,
    });
    const own = { subject: 'np', role: 'instance', accounts: ['acme'], type: 'service' } as const;
    expect(
      (
        await h.services.accounts.setAutoDownload(
          ctx({ ...own, instance: instanceId }),
          'acme',
          true,
        )
      ).settings.autoDownload,
    ).toBe(true);
    const viewer = { subject: 'v', role: 'viewer', accounts: ['acme'], type: 'user' } as const;
    await expect(h.services.accounts.setAutoDownload(ctx(viewer), 'acme', false)).rejects.toThrow(
      /viewer/,
    );
    await expect(
      h.services.accounts.setAutoDownload(ctx({ ...own, accounts: ['globex'] }), 'acme', false),
    ).rejects.toThrow(/not found/);
  });
});

describe('errors', () => {
  // A bad token is AUTH_INVALID_SESSION since issue 13 (AUTH_INVALID_CREDENTIALS is a bad
  // user name or password); see test/compat/netprofiler-login.test.ts.
  it('401 AUTH_REQUIRED without credentials, AUTH_INVALID_SESSION with a bad token', async () => {
    expectError(await h.request({ method: 'GET', url: BASE, token: null }), 401, 'AUTH_REQUIRED');
    expectError(
      await h.request({ method: 'GET', url: BASE, token: 'garbage' }),
      401,
      'AUTH_INVALID_SESSION',
    );
  });

  it('400 BAD_REQUEST for a body that is not an array of keys', async () => {
    for (const body of [{ keys: [MMZDK] }, [1, 2], [], MMZDK]) {
      expectError(await np('POST', '', body), 400, 'BAD_REQUEST');
    }
    const malformed = await h.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: `Bearer ${appliance}`, 'content-type': 'application/json' },
      payload: '["abcd"',
    });
    expectError(malformed, 400, 'BAD_REQUEST');
  });

  it('403 AUTH_FORBIDDEN for a token that is no appliance’s', async () => {
    const error = expectError(
      await h.request({ method: 'GET', url: BASE, token: operator }),
      403,
      'AUTH_FORBIDDEN',
    );
    expect(error.error_text).toMatch(/instance token/);
  });

  it('404 RESOURCE_NOT_FOUND for an unknown resource', async () => {
    expectError(await np('GET', '/nothing'), 404, 'RESOURCE_NOT_FOUND');
  });

  it('405 HTTP_INVALID_METHOD with Allow', async () => {
    const list = await np('PUT', '', []);
    expectError(list, 405, 'HTTP_INVALID_METHOD');
    expect(list.headers.allow).toBe('GET, HEAD, POST, DELETE');
    const fetch = await np('POST', '/fetch', {});
    expectError(fetch, 405, 'HTTP_INVALID_METHOD');
    expect(fetch.headers.allow).toBe('GET, HEAD');
    const request = await np('GET', '/request');
    expectError(request, 405, 'HTTP_INVALID_METHOD');
    expect(request.headers.allow).toBe('POST');
  });

  it('500 INTERNAL_ERROR when something unexpected fails', async () => {
    vi.spyOn(h.services.licenses, 'liveOn').mockRejectedValue(new Error('disk on fire'));
    const error = expectError(await np('GET', ''), 500, 'INTERNAL_ERROR');
    expect(error.error_text).toBe('Internal error.');
  });
});
