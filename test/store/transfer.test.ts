import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/database.js';
import { exportStore, importStore, TransferError } from '../../src/store/transfer.js';
import { insertUsage } from '../../src/store/usage.repository.js';
import { createHarness, json, openStoreAt, T0, type Harness } from '../helpers/harness.js';

/**
 * Moving from SQLite to PostgreSQL: a data set seeded through the API on SQLite, exported,
 * imported into an empty PostgreSQL database, answers the same API questions identically.
 * Needs both databases: runs in the `postgres` project only (vitest.config.ts).
 */

const opened: Harness[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((h) => h.close()));
});

async function harness(options: Parameters<typeof createHarness>[0]): Promise<Harness> {
  const h = await createHarness(options);
  opened.push(h);
  return h;
}

async function ok(h: Harness, method: 'POST' | 'PUT', url: string, body: unknown) {
  const response = await h.request({ method, url, body });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return json(response);
}

async function seed(h: Harness): Promise<void> {
  await h.account('acme');
  await h.account('globex');
  await ok(h, 'POST', '/v1/products', {
    slug: 'cvo',
    name: 'Cloud Volumes ONTAP',
    features: [{ id: 'BACKUP', name: 'Backup' }],
    metrics: [
      { id: 1, name: 'Capacity', unit: 'TiB' },
      { id: 2, name: 'Jobs', unit: 'units' },
    ],
  });
  await ok(h, 'POST', '/v1/products', { id: 2_000_000_000, slug: 'big', name: 'Big id' });
  const seats = (await ok(h, 'POST', '/v1/licenses', {
    accountId: 'acme',
    product: 'cvo',
    metricId: 1,
    quantity: 12.75,
    seatLimit: 3,
    expiresAt: '2027-01-01T00:00:00.000Z',
    labels: { team: 'storage' },
  })) as { id: string };
  await ok(h, 'POST', '/v1/licenses', {
    accountId: 'globex',
    product: 'cvo',
    features: ['BACKUP'],
    term: 'TRIAL',
    expiresAt: '2026-11-30T00:00:00.000Z',
  });
  await ok(h, 'POST', '/v1/licenses', {
    accountId: 'acme',
    product: 'big',
    serialNumber: 9_007_199_254_740,
  });
  for (let i = 0; i < 2; i++) {
    const instance = await h.instance('acme');
    await ok(h, 'POST', `/v1/licenses/${seats.id}/activate`, { instance });
  }
  await ok(h, 'POST', '/v1/subscriptions', {
    type: 'application/astra-subscription',
    version: '1.2',
    terms: 'paid',
    accounts: ['acme', 'globex'],
    costPerAppUnit: 1.234567,
    costPerNamespaceUnit: 2500,
  });
  const service = await h.token('service', ['acme']);
  const response = await h.request({
    method: 'POST',
    url: '/v1/usage',
    token: service,
    body: {
      records: [
        { id: 'u1', product: 'cvo', metric: 1, kind: 'gauge', value: 10.5, at: T0 },
        { id: 'u2', product: 'cvo', metric: 2, kind: 'delta', value: 0.1, at: T0 },
        { id: 'u3', product: 'cvo', metric: 2, kind: 'delta', value: 0.2, at: T0 },
      ],
    },
  });
  expect(response.statusCode, response.body).toBe(200);
}

const QUESTIONS = [
  '/v1/licenses?limit=1000',
  '/v1/licenses?orderBy=productId%20desc,serialNumber&limit=2',
  '/v1/accounts/acme/compliance',
  '/v1/accounts/globex/compliance',
  '/v1/subscriptions',
  '/v1/products',
  '/v1/instances',
  '/v1/accounts/acme/usage?product=cvo&metric=2',
];

async function answers(h: Harness): Promise<unknown[]> {
  return Promise.all(
    QUESTIONS.map(async (url) => {
      const response = await h.request({ method: 'GET', url });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
      return json(response);
    }),
  );
}

async function exported(store: Store): Promise<string[]> {
  const lines: string[] = [];
  await exportStore(store, (line) => {
    lines.push(line);
  });
  return lines;
}

async function* iterate(lines: readonly string[]): AsyncIterable<string> {
  for (const line of lines) {
    await Promise.resolve();
    yield line;
  }
}

describe('entitle export / import', () => {
  it('moves a seeded SQLite store to PostgreSQL with identical API answers', async () => {
    const source = await harness({ dialect: 'sqlite' });
    await seed(source);
    const lines = await exported(source.store);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ format: 'entitle-export', version: 1 });

    const target = await harness({
      dialect: 'postgres',
      prepare: async (store) => {
        const written = await importStore(store, iterate(lines));
        expect(written.licenses).toBe(3);
      },
    });
    expect(await answers(target)).toEqual(await answers(source));

    // Keys generated after the import do not collide with imported ones (sequences moved on).
    const product = await target.request({
      method: 'POST',
      url: '/v1/products',
      body: { slug: 'after', name: 'After the move' },
    });
    expect(product.statusCode, product.body).toBe(201);
    expect(json<{ id: number }>(product).id).toBeGreaterThan(2_000_000_000);

    // And back: PostgreSQL → SQLite gives the same answers again.
    const back = await exported(target.store);
    const again = await harness({
      dialect: 'sqlite',
      prepare: async (store) => {
        await importStore(store, iterate(back));
      },
    });
    expect(await answers(again)).toEqual(await answers(target));
  }, 60_000);

  it('refuses a non-empty target, a truncated file and a foreign file, writing nothing', async () => {
    const source = await harness({ dialect: 'sqlite' });
    await seed(source);
    const lines = await exported(source.store);
    await expect(importStore(source.store, iterate(lines))).rejects.toThrow(/not empty/);

    const empty = await harness({
      dialect: 'postgres',
      prepare: async (store) => {
        await expect(importStore(store, iterate(lines.slice(0, -1)))).rejects.toThrow(/truncated/);
        await expect(importStore(store, iterate(['{"format":"other"}']))).rejects.toThrow(
          TransferError,
        );
        const count = await store.db
          .selectFrom('licenses')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        expect(count.n).toBe(0);
      },
    });
    expect(empty.store.dialect).toBe('postgres');
  }, 60_000);
});

describe('an export streams one snapshot', () => {
  it.each(['sqlite', 'postgres'] as const)(
    '%s: rows committed while the export streams are not in it, and its counts match its rows',
    async (dialect) => {
      const h = await harness({ dialect });
      await h.account('acme');
      const records = (from: number, count: number) =>
        Array.from({ length: count }, (_, i) => ({
          accountId: 'acme',
          id: `u-${String(from + i)}`,
          instanceId: null,
          productId: 1,
          measure: 'metric:1',
          kind: 'delta' as const,
          value: 1,
          at: T0,
        }));
      await h.store.transaction('test.seed', (tx) => insertUsage(tx, records(0, 2500), T0));

      // A second connection writes while the export is between two chunks of usage rows.
      const other = openStoreAt(h.databaseUrl);
      const lines: string[] = [];
      let usageLines = 0;
      try {
        await exportStore(h.store, async (line) => {
          lines.push(line);
          if (line.startsWith('{"table":"usage_records"') && ++usageLines === 1500) {
            await other.transaction('test.meanwhile', (tx) =>
              insertUsage(tx, records(2500, 10), T0),
            );
          }
        });
      } finally {
        await other.close();
      }
      const header = JSON.parse(lines[0] ?? '{}') as { tables: Record<string, number> };
      expect(header.tables.usage_records).toBe(2500);
      expect(usageLines).toBe(2500);
      expect(lines).toHaveLength(1 + Object.values(header.tables).reduce((a, b) => a + b, 0));
      const stored = await h.store.read((db) =>
        db
          .selectFrom('usage_records')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .execute(),
      );
      expect(stored[0]?.n).toBe(2510);
    },
  );
});
