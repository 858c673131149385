import type { Static } from 'typebox';
import { Value } from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { systemPrincipal } from '../../src/domain/principal.js';
import { UsageIngestResultSchema, type UsageIngestResult } from '../../src/domain/usage.js';
import { ProblemSchema } from '../../src/http/problems.js';
import { UsageReportSchema } from '../../src/http/v1/usage/report.js';
import { listUsageRecords, usedInPeriod } from '../../src/store/usage.repository.js';
import { createHarness, json, openStoreAt, T0, type Harness } from '../helpers/harness.js';

let h: Harness;
let productId: number;
let service: string;
beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  await h.account('globex');
  const response = await h.request({
    method: 'POST',
    url: '/v1/products',
    body: {
      slug: 'cvo',
      name: 'Cloud Volumes ONTAP',
      features: [{ id: 'BACKUP', name: 'Backup' }],
      metrics: [
        { id: 1, name: 'Provisioned capacity', unit: 'TiB' },
        { id: 2, name: 'Jobs', unit: 'units' },
      ],
    },
  });
  productId = json<{ id: number }>(response).id;
  service = await h.token('service', ['acme']);
});
afterEach(async () => {
  await h.close();
});

type Report = Static<typeof UsageReportSchema>;
const HOUR_MS = 3_600_000;
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

function ingest(records: unknown[], token: string | null = service) {
  return h.request({ method: 'POST', url: '/v1/usage', token, body: { records } });
}

async function ingested(records: unknown[], token: string | null = service) {
  const response = await ingest(records, token);
  expect(response.statusCode, response.body).toBe(200);
  const body = json<UsageIngestResult>(response);
  expect(Value.Check(UsageIngestResultSchema, body)).toBe(true);
  return body;
}

async function report(query: string, token?: string, account = 'acme'): Promise<Report> {
  const response = await h.request({
    method: 'GET',
    url: `/v1/accounts/${account}/usage?${query}`,
    token,
  });
  expect(response.statusCode, response.body).toBe(200);
  const body = json<Report>(response);
  expect(Value.Check(UsageReportSchema, body)).toBe(true);
  return body;
}

const record = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  product: 'cvo',
  metric: 2,
  kind: 'delta',
  value: 1,
  at: at(-HOUR_MS),
  ...extra,
});

describe('POST /v1/usage', () => {
  it('stores good records and rejects bad ones with reasons, in one answer', async () => {
    const instance = await h.instance('acme');
    const other = await h.instance('globex');
    const body = await ingested([
      record('ok-1', { value: 5 }),
      record('bad-product', { product: 'nope' }),
      record('bad-metric', { metric: 9 }),
      record('bad-feature', { metric: undefined, feature: 'NOPE' }),
      record('both', { feature: 'BACKUP' }),
      record('future', { at: at(HOUR_MS) }),
      record('too-old', { at: at(-91 * 24 * HOUR_MS) }),
      record('other-instance', { instance: other }),
      record('other-account', { account: 'globex' }),
      record('ok-2', { kind: 'gauge', value: 7, metric: 1, instance }),
      record('ok-3', { metric: undefined, feature: 'BACKUP', at: at(-2 * HOUR_MS) }),
    ]);
    expect(body.accepted).toBe(3);
    expect(body.duplicates).toBe(0);
    expect(body.rejected.map((r) => [r.index, r.id, r.reasons.map((x) => x.name)])).toEqual([
      [1, 'bad-product', ['product']],
      [2, 'bad-metric', ['metric']],
      [3, 'bad-feature', ['feature']],
      [4, 'both', ['metric']],
      [5, 'future', ['at']],
      [6, 'too-old', ['at']],
      [7, 'other-instance', ['instance']],
      [8, 'other-account', ['account']],
    ]);
    expect(body.rejected[0]?.reasons[0]?.reason).toBe('no such product: nope');

    const records = await h.store.read((db) => listUsageRecords(db, 'acme'));
    expect(records.map((r) => r.id).sort()).toEqual(['ok-1', 'ok-2', 'ok-3']);
    const jobs = await report('product=cvo&metric=2');
    expect(jobs.consumption).toEqual({ gauges: 0, instances: 0, deltas: 5, used: 5 });
    const capacity = await report(`product=${String(productId)}&metric=1`);
    expect(capacity.consumption).toEqual({ gauges: 7, instances: 1, deltas: 0, used: 7 });
  });

  it('is idempotent: the same batch twice is all duplicates and totals do not move', async () => {
    const batch = [record('a', { value: 2 }), record('b', { value: 3 }), record('a', { value: 9 })];
    expect(await ingested(batch)).toEqual({ accepted: 2, duplicates: 1, rejected: [] });
    expect(await ingested(batch)).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    expect((await report('product=cvo&metric=2')).consumption.deltas).toBe(5);
    // The id is scoped to the account: another account may use it.
    const globex = await h.token('service', ['globex']);
    expect(await ingested([record('a')], globex)).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: [],
    });
  });

  it('keeps the latest gauge when an older one arrives late, and a late delta lands in its day', async () => {
    const instance = await h.instance('acme');
    const gauge = (id: string, value: number, when: number) =>
      record(id, { kind: 'gauge', metric: 1, instance, value, at: at(when) });
    await ingested([gauge('g2', 10, -HOUR_MS)]);
    await ingested([gauge('g1', 99, -5 * HOUR_MS)]);
    expect((await report('product=cvo&metric=1')).consumption.gauges).toBe(10);
    await ingested([gauge('g3', 4, -HOUR_MS / 2)]);
    expect((await report('product=cvo&metric=1')).consumption.gauges).toBe(4);

    await ingested([record('late', { value: 6, at: '2026-11-02T10:00:00.000Z' })]);
    const days = await report('product=cvo&metric=2&from=2026-11-01&to=2026-11-04');
    expect(days.series).toEqual([
      { period: '2026-11-01', deltas: 0, records: 0 },
      { period: '2026-11-02', deltas: 6, records: 1 },
      { period: '2026-11-03', deltas: 0, records: 0 },
    ]);
  });

  it('lets an instance token report for itself only, and defaults the instance and account', async () => {
    const mine = await h.instance('acme');
    const other = await h.instance('acme');
    const token = await h.token('instance', ['acme'], { instance: mine });
    const body = await ingested(
      [
        record('self', { kind: 'gauge', metric: 1, value: 3 }),
        record('other', { kind: 'gauge', metric: 1, value: 3, instance: other }),
      ],
      token,
    );
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([
      {
        index: 1,
        id: 'other',
        reasons: [
          { name: 'instance', reason: 'an instance token reports for its own instance only' },
        ],
      },
    ]);
    const [stored] = await h.store.read((db) => listUsageRecords(db, 'acme'));
    expect(stored?.instanceId).toBe(mine);
  });

  it('asks for the account when the token has several and no instance names one', async () => {
    const both = await h.token('service', ['acme', 'globex']);
    const body = await ingested([record('x'), record('y', { account: 'globex' })], both);
    expect(body.accepted).toBe(1);
    expect(body.rejected[0]?.reasons[0]?.name).toBe('account');
    const operator = await ingested([record('z', { account: 'missing' })], h.operator);
    expect(operator.rejected[0]?.reasons).toEqual([
      { name: 'account', reason: 'no such account: missing' },
    ]);
  });

  it('answers 403 to admins and viewers, 401 without a token', async () => {
    for (const role of ['viewer', 'admin'] as const) {
      const response = await ingest([record('r')], await h.token(role, ['acme']));
      expect(response.statusCode).toBe(403);
      expect(Value.Check(ProblemSchema, json(response))).toBe(true);
    }
    expect((await ingest([record('r')], null)).statusCode).toBe(401);
  });

  it('answers 400 for a malformed envelope, storing nothing', async () => {
    for (const body of [
      {},
      { records: [] },
      { records: {} },
      { records: [record('a')], extra: 1 },
      [record('a')],
    ]) {
      const response = await h.request({ method: 'POST', url: '/v1/usage', token: service, body });
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(json(response).type).toBe('/problems/invalid-fields');
    }
    const bad = await h.request({
      method: 'POST',
      url: '/v1/usage',
      token: service,
      body: '{"records": [',
      headers: { 'content-type': 'application/json' },
    });
    expect(json(bad).type).toBe('/problems/malformed-body');
    const none = await h.request({ method: 'POST', url: '/v1/usage', token: service });
    expect(none.statusCode).toBe(400);
    expect(await h.store.read((db) => listUsageRecords(db, 'acme'))).toEqual([]);
  });

  it('rejects a malformed record on its own, naming its fields, and stores the rest', async () => {
    const body = await ingested([
      record('good'),
      { ...record('negative'), value: -1 },
      { ...record('kind'), kind: 'counter' },
      { ...record(''), at: 'yesterday' },
      { ...record('extra'), colour: 'red' },
      { id: 'bare' },
      42,
    ]);
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.id, r.reasons.map((x) => x.name).sort()])).toEqual([
      [1, 'negative', ['value']],
      [2, 'kind', ['kind']],
      [3, '', ['at', 'id']],
      [4, 'extra', ['colour']],
      [5, 'bare', ['at', 'kind', 'product', 'value']],
      [6, '', ['record']],
    ]);
    expect(body.rejected[3]?.reasons).toEqual([{ name: 'colour', reason: 'is not a known field' }]);
    const records = await h.store.read((db) => listUsageRecords(db, 'acme'));
    expect(records.map((r) => r.id)).toEqual(['good']);
  });

  it('takes 10,000 records in one batch and refuses 10,001', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => record(`r${String(i)}`));
    expect((await ingested(many)).accepted).toBe(10_000);
    expect((await report('product=cvo&metric=2')).consumption.deltas).toBe(10_000);
    const response = await ingest([...many, record('one-more')]);
    expect(response.statusCode).toBe(400);
    expect(json(response).type).toBe('/problems/invalid-fields');
  });

  it('writes one event per account and batch', async () => {
    await ingested([record('a'), record('b')]);
    const events = await h.request({
      method: 'GET',
      url: "/v1/events?filter=type eq 'usage.recorded'",
    });
    const items = json<{ items: { accountId: string; summary: unknown }[] }>(events).items;
    expect(items).toHaveLength(1);
    expect(items[0]?.accountId).toBe('acme');
  });

  it('keeps acknowledged records across closing and reopening the database', async () => {
    await ingested([
      record('d1', { value: 4 }),
      record('d2', { kind: 'gauge', metric: 1, value: 8 }),
    ]);
    await h.app.close();
    await h.store.close();
    const reopened = openStoreAt(h.databaseUrl);
    try {
      const records = await reopened.read((db) => listUsageRecords(db, 'acme'));
      expect(records.map((r) => r.id)).toEqual(['d1', 'd2']);
      const from = at(-24 * HOUR_MS);
      const to = at(24 * HOUR_MS);
      expect(
        await reopened.read((db) => usedInPeriod(db, ['acme'], productId, [1, 2], from, to)),
      ).toBe(12);
    } finally {
      // The harness closing its app and store again afterwards is harmless.
      await reopened.close();
    }
  });
});

describe('GET /v1/accounts/{accountId}/usage', () => {
  beforeEach(async () => {
    await ingested([
      record('oct', { value: 1, at: '2026-10-31T23:59:59.999Z' }),
      record('nov1', { value: 2, at: '2026-11-01T00:00:00.000Z' }),
      record('nov2', { value: 3, at: '2026-11-20T08:00:00.000Z' }),
      record('nov3', { value: 4, at: '2026-11-20T09:00:00.000Z' }),
    ]);
  });

  it('defaults to the current UTC month, by day', async () => {
    const body = await report('product=cvo&metric=2');
    expect(body).toMatchObject({
      accountId: 'acme',
      product: productId,
      metric: 2,
      from: '2026-11-01',
      to: '2026-12-01',
      granularity: 'day',
      consumption: { deltas: 9, used: 9 },
    });
    expect(body.series).toHaveLength(30);
    expect(body.series[19]).toEqual({ period: '2026-11-20', deltas: 7, records: 2 });
  });

  it('buckets by month', async () => {
    const body = await report(
      'product=cvo&metric=2&from=2026-10-01&to=2026-12-01&granularity=month',
    );
    expect(body.series).toEqual([
      { period: '2026-10', deltas: 1, records: 1 },
      { period: '2026-11', deltas: 9, records: 3 },
    ]);
    expect(body.consumption.deltas).toBe(10);
  });

  it('is visible to every role of the account, and 404 for another account', async () => {
    const viewer = await h.token('viewer', ['acme']);
    expect((await report('product=cvo&metric=2', viewer)).consumption.deltas).toBe(9);
    const outsider = await h.token('viewer', ['globex']);
    for (const [account, token] of [
      ['acme', outsider],
      ['missing', h.operator],
    ] as const) {
      const response = await h.request({
        method: 'GET',
        url: `/v1/accounts/${account}/usage?product=cvo&metric=2`,
        token,
      });
      expect(response.statusCode).toBe(404);
      expect(json(response).type).toBe('/problems/not-found');
    }
  });

  it('names bad parameters', async () => {
    for (const [query, name] of [
      ['product=nope&metric=2', 'product'],
      ['product=cvo', 'metric'],
      ['product=cvo&metric=2&feature=BACKUP', 'metric'],
      ['product=cvo&metric=9', 'metric'],
      ['product=cvo&feature=NOPE', 'feature'],
      ['product=cvo&metric=2&from=2026-11-05&to=2026-11-05', 'to'],
      ['product=cvo&metric=2&from=2020-01-01&to=2026-01-01', 'to'],
      ['product=cvo&metric=2&from=2026-13-45', 'from'],
      ['product=cvo&metric=2&granularity=week', 'granularity'],
    ] as const) {
      const response = await h.request({ method: 'GET', url: `/v1/accounts/acme/usage?${query}` });
      expect(response.statusCode, query).toBe(400);
      const problem = json<{ invalidParams: { name: string }[] }>(response);
      expect(
        problem.invalidParams.map((p) => p.name),
        query,
      ).toContain(name);
    }
  });
});

describe('retention', () => {
  it('prunes raw records measured before the cutoff and leaves the aggregates alone', async () => {
    await ingested([
      record('old', { value: 2, at: '2026-09-01T00:00:00.000Z' }),
      record('new', { value: 3, at: at(-HOUR_MS) }),
    ]);
    const query = 'product=cvo&metric=2&from=2026-09-01&to=2026-12-01&granularity=month';
    const before = await report(query);
    const system = { principal: systemPrincipal, requestId: null, clock: h.clock };
    h.clock.set('2026-12-05T00:00:00.000Z');
    expect(await h.services.usage.prune(system)).toBe(1);
    h.clock.set(T0);
    expect((await h.store.read((db) => listUsageRecords(db, 'acme'))).map((r) => r.id)).toEqual([
      'new',
    ]);
    expect(await report(query)).toEqual(before);
    expect(before.consumption.deltas).toBe(5);
    const asService = { ...system, principal: { ...system.principal, role: 'service' as const } };
    await expect(h.services.usage.prune(asService)).rejects.toThrow(/may not/);
  });

  it('is configured by ENTITLE_USAGE_RETENTION_DAYS, 90 days by default', () => {
    expect(loadConfig({}, {}).usageRetentionDays).toBe(90);
    expect(loadConfig({}, { ENTITLE_USAGE_RETENTION_DAYS: '30' }).usageRetentionDays).toBe(30);
    expect(() => loadConfig({}, { ENTITLE_USAGE_RETENTION_DAYS: '0' })).toThrow(/retention/);
  });
});
