import { deleteOlderThan } from '../../src/store/prune.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriesOf, type Period, type UsageRecord } from '../../src/domain/usage.js';
import type { Store } from '../../src/store/database.js';
import {
  dailyRollups,
  insertUsage,
  usageTotals,
  usedInPeriod,
} from '../../src/store/usage.repository.js';
import {
  ACCOUNTS,
  arrivals,
  deduplicated,
  naiveConsumption,
  naiveSeries,
  period,
  selection,
  type Selection,
} from '../helpers/usage-model.js';
import { openTestStore, type TestStore } from '../helpers/harness.js';

let dir: string;
let store: Store;
let opened: TestStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'entitle-usage-'));
  opened = await openTestStore(dir);
  store = opened.store;
  const now = '2026-11-01T00:00:00.000Z';
  await store.db
    .insertInto('accounts')
    .values(
      ACCOUNTS.map((id) => ({
        id,
        name: id,
        org_id: null,
        settings: '{}',
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
});
afterAll(async () => {
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

async function reset(): Promise<void> {
  for (const table of ['usage_records', 'usage_daily', 'usage_gauges'] as const) {
    await store.db.deleteFrom(table).execute();
  }
}

/** As the service does: one transaction per batch, the first of an id repeated in it counts. */
async function ingest(batches: readonly UsageRecord[][]): Promise<void> {
  for (const batch of batches) {
    await store.transaction('usage.ingest', (tx) =>
      insertUsage(tx, deduplicated(batch), '2026-11-23T12:00:00.000Z'),
    );
  }
}

async function stored(of: Selection, p: Period) {
  const totals = await usageTotals(store.db, of.accountIds, of.productId, of.measures, p);
  return { ...totals, used: totals.gauges + totals.deltas };
}

describe('usage aggregates in SQLite', () => {
  it('equal a naive recomputation from raw records, for any arrival order, batching and duplicates', async () => {
    await fc.assert(
      fc.asyncProperty(
        arrivals,
        fc.array(fc.tuple(selection, period), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('day' as const, 'month' as const),
        async (batches, queries, granularity) => {
          await reset();
          await ingest(batches);
          const records = deduplicated(batches.flat());
          for (const [of, p] of queries) {
            expect(await stored(of, p)).toEqual(naiveConsumption(records, of, p));
            const [account] = of.accountIds;
            const [measure] = of.measures;
            if (account === undefined || measure === undefined) continue;
            const one = { accountIds: [account], productId: of.productId, measures: [measure] };
            const days = await dailyRollups(store.db, account, of.productId, measure, p);
            expect(seriesOf(days, p, granularity)).toEqual(
              naiveSeries(records, one, p, granularity),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('are not changed by pruning raw records, nor by sending everything again', async () => {
    await fc.assert(
      fc.asyncProperty(arrivals, selection, period, async (batches, of, p) => {
        await reset();
        await ingest(batches);
        const before = await stored(of, p);
        await ingest(batches);
        expect(await stored(of, p)).toEqual(before);
        await deleteOlderThan(store.db, 'usage_records', '2026-11-02T00:00:00.000Z');
        expect(await stored(of, p)).toEqual(before);
        const left = await store.db.selectFrom('usage_records').select('at').execute();
        expect(left.every((r) => r.at >= '2026-11-02T00:00:00.000Z')).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('usedInPeriod sums the latest gauges and the deltas of the given metrics', async () => {
    await reset();
    const base = {
      accountId: 'a1',
      instanceId: 'i1',
      productId: 1,
      measure: 'metric:1',
    } as const;
    await ingest([
      [
        { ...base, id: 'g1', kind: 'gauge', value: 10, at: '2026-11-01T00:00:00.000Z' },
        { ...base, id: 'g2', kind: 'gauge', value: 4, at: '2026-11-03T00:00:00.000Z' },
        { ...base, id: 'd1', kind: 'delta', value: 2, at: '2026-11-02T00:00:00.000Z' },
        { ...base, id: 'd2', kind: 'delta', value: 5, at: '2026-12-02T00:00:00.000Z' },
        {
          ...base,
          id: 'd3',
          kind: 'delta',
          value: 7,
          measure: 'metric:2',
          at: '2026-11-02T00:00:00.000Z',
        },
      ],
    ]);
    const november = ['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'] as const;
    expect(await usedInPeriod(store.db, ['a1'], 1, [1], ...november)).toBe(6);
    expect(await usedInPeriod(store.db, ['a1', 'a2'], 1, [1, 2], ...november)).toBe(13);
    expect(await usedInPeriod(store.db, ['a2'], 1, [1], ...november)).toBe(0);
    expect(await usedInPeriod(store.db, [], 1, [1], ...november)).toBe(0);
  });
});
