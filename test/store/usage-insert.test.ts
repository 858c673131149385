import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/domain/usage.js';
import type { Store } from '../../src/store/database.js';
import { insertUsage, statementSizes, usageTotals } from '../../src/store/usage.repository.js';
import { openTestStore, type TestStore } from '../helpers/harness.js';

const T0 = '2026-11-20T12:00:00.000Z';
const ACCOUNT = 'acct-insert';

let dir: string;
let opened: TestStore;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'entitle-usage-insert-'));
  opened = await openTestStore(dir);
  store = opened.store;
  await store.transaction('test.seed', async (tx) => {
    await tx
      .insertInto('accounts')
      .values({
        id: ACCOUNT,
        name: 'I',
        org_id: null,
        settings: '{}',
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    await tx
      .insertInto('products')
      .values({
        id: 1,
        slug: 'p',
        name: 'P',
        group_name: null,
        description: '',
        created_at: T0,
        updated_at: T0,
      })
      .execute();
  });
});
afterEach(async () => {
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

const delta = (n: number): UsageRecord => ({
  accountId: ACCOUNT,
  id: `r${String(n)}`,
  instanceId: null,
  productId: 1,
  measure: 'metric:1',
  kind: 'delta',
  value: 1,
  at: T0,
});

const insert = (records: UsageRecord[]) =>
  store.transaction('test.insert', (tx) => insertUsage(tx, records, T0));

const deltas = async () =>
  (
    await usageTotals(store.db, [ACCOUNT], 1, ['metric:1'], {
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
    })
  ).deltas;

describe('inserting usage records', () => {
  it('splits a batch into full statements, then powers of two', () => {
    expect(statementSizes(0)).toEqual([]);
    expect(statementSizes(1)).toEqual([1]);
    expect(statementSizes(1000)).toEqual([1000]);
    expect(statementSizes(2537)).toEqual([1000, 1000, 512, 16, 8, 1]);
    for (const n of [3, 999, 1001, 10_000]) {
      expect(statementSizes(n).reduce((sum, size) => sum + size, 0)).toBe(n);
    }
  });

  it('answers exactly the new records of a large batch mixing new and stored ones', async () => {
    // Every third record of the first 3,000 is stored already.
    const stored = Array.from({ length: 1000 }, (_, i) => delta(i * 3));
    expect(await insert(stored)).toHaveLength(1000);
    const batch = Array.from({ length: 3200 }, (_, i) => delta(i));
    const fresh = await insert(batch);
    const expected = batch.filter((r) => !stored.some((s) => s.id === r.id));
    expect(fresh.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    expect(fresh).toHaveLength(2200);
    // Every record counted once, and the same batch again stores nothing.
    expect(await deltas()).toBe(3200);
    expect(await insert(batch)).toEqual([]);
    expect(await deltas()).toBe(3200);
  });

  it('stores all of a batch of new records, in statements of every size', async () => {
    const batch = Array.from({ length: 1537 }, (_, i) => delta(i));
    expect(await insert(batch)).toEqual(batch);
    expect(await deltas()).toBe(1537);
  });
});
