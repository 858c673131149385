import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/clock.js';
import { systemPrincipal } from '../../src/domain/principal.js';
import { complianceService } from '../../src/services/compliance.js';
import type { ServiceContext } from '../../src/services/context.js';
import { committedStamp } from '../../src/store/compliance.repository.js';
import type { Store } from '../../src/store/database.js';
import { insertUsage } from '../../src/store/usage.repository.js';
import { openStoreAt, openTestStore, type TestStore } from '../helpers/harness.js';

/**
 * The compliance summary is cached per account: it must never be answered stale, whether the
 * write came through the same store, another store on the same database (what another process
 * is), or time moved past an expiry, a reminder or the month of usage.
 */

const T0 = '2026-11-20T12:00:00.000Z';
const DAY = 86_400_000;
const ACCOUNT = 'acct-cache';

let dir: string;
let opened: TestStore;
let store: Store;
/** Another store on the same database: another connection, as another process would hold. */
let other: Store;
let clock: ReturnType<typeof fixedClock>;
let ctx: ServiceContext;
let serial = 1000;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'entitle-compliance-cache-'));
  opened = await openTestStore(dir);
  store = opened.store;
  other = openStoreAt(opened.url);
  clock = fixedClock(T0);
  ctx = { principal: systemPrincipal, requestId: null, clock };
  await store.transaction('test.seed', async (tx) => {
    await tx
      .insertInto('accounts')
      .values({
        id: ACCOUNT,
        name: 'Cache',
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
        slug: 'cvo',
        name: 'CVO',
        group_name: null,
        description: '',
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    await tx
      .insertInto('product_metrics')
      .values({ product_id: 1, metric_id: 1, name: 'Nodes', unit: 'nodes' })
      .execute();
  });
});
afterEach(async () => {
  await other.close();
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Adds a license of `quantity` nodes through `through`, written as a bare row (no service). */
async function addLicense(
  through: Store,
  quantity: number,
  fields: { expiresAt?: string | null; term?: string } = {},
): Promise<void> {
  serial++;
  await through.transaction('test.license', async (tx) => {
    await tx
      .insertInto('licenses')
      .values({
        id: `license-${String(serial)}`,
        serial_number: serial,
        key: `KEY-${String(serial)}`,
        key_scheme: 'native',
        account_id: ACCOUNT,
        product_id: 1,
        kind: 'node',
        service: null,
        group_name: null,
        term: fields.term ?? 'SUBSCRIPTION',
        metric_id: 1,
        quantity,
        features: '[]',
        base_license: 0,
        description: '',
        created_at: T0,
        updated_at: T0,
        starts_at: null,
        activated_at: null,
        expires_at: fields.expiresAt ?? null,
        grace_days: 0,
        seat_limit: null,
        state: 'active',
        deactivated_key: null,
        order_id: null,
        sku: null,
        labels: '{}',
      })
      .execute();
  });
}

async function metric(service: ReturnType<typeof complianceService>) {
  const summary = await service.account(ctx, ACCOUNT);
  return summary.products[0]?.metrics[0];
}

describe('the cached compliance summary', () => {
  it('is answered again while nothing changed, and frozen', async () => {
    await addLicense(store, 5);
    const service = complianceService(store);
    const first = await service.account(ctx, ACCOUNT);
    expect(await service.account(ctx, ACCOUNT)).toBe(first);
    expect(Object.isFrozen(first.products[0]?.metrics[0]?.licenseInfo)).toBe(true);
    // The stamp does not move by itself.
    expect(await committedStamp(store.db)).toBe(await committedStamp(store.db));
  });

  it('sees a write through another store on the same database (another process)', async () => {
    await addLicense(store, 5);
    const service = complianceService(store);
    expect((await metric(service))?.entitled).toBe(5);
    await addLicense(other, 7);
    expect((await metric(service))?.entitled).toBe(12);
    // And usage ingested there.
    await other.transaction('test.usage', (tx) =>
      insertUsage(
        tx,
        [
          {
            accountId: ACCOUNT,
            id: 'u1',
            instanceId: null,
            productId: 1,
            measure: 'metric:1',
            kind: 'gauge',
            value: 20,
            at: T0,
          },
        ],
        T0,
      ),
    );
    expect(await metric(service)).toMatchObject({ used: 20, compliant: false });
  });

  it('sees a write through its own store, in a transaction or not', async () => {
    await addLicense(store, 5);
    const service = complianceService(store);
    expect((await metric(service))?.entitled).toBe(5);
    await addLicense(store, 1);
    expect((await metric(service))?.entitled).toBe(6);
    await store.db.updateTable('licenses').set({ quantity: 2 }).where('quantity', '=', 1).execute();
    expect((await metric(service))?.entitled).toBe(7);
    await store.db.deleteFrom('licenses').where('quantity', '=', 2).execute();
    expect((await metric(service))?.entitled).toBe(5);
  });

  it('sees a catalog change', async () => {
    await addLicense(store, 5);
    const service = complianceService(store);
    expect((await metric(service))?.name).toBe('Nodes');
    await other.transaction('test.catalog', (tx) =>
      tx.updateTable('product_metrics').set({ name: 'Cores' }).execute(),
    );
    expect((await metric(service))?.name).toBe('Cores');
  });

  it('follows time: expiry, the reminder window, trial days left and the month of usage', async () => {
    await addLicense(store, 5, { expiresAt: new Date(Date.parse(T0) + 40 * DAY).toISOString() });
    await addLicense(store, 1, {
      term: 'TRIAL',
      expiresAt: new Date(Date.parse(T0) + 2.5 * DAY).toISOString(),
    });
    await store.transaction('test.usage', (tx) =>
      insertUsage(
        tx,
        [
          {
            accountId: ACCOUNT,
            id: 'd1',
            instanceId: null,
            productId: 1,
            measure: 'metric:1',
            kind: 'delta',
            value: 4,
            at: T0,
          },
        ],
        T0,
      ),
    );
    const service = complianceService(store);
    expect(await metric(service)).toMatchObject({
      entitled: 6,
      used: 4,
      trialDaysRemaining: 3,
      aboutToExpire: true,
    });
    // Half a day later the trial has 2 days left: no write, only time.
    clock.advance(0.5 * DAY);
    expect((await metric(service))?.trialDaysRemaining).toBe(2);
    // The trial expires; only the 5-node license entitles.
    clock.advance(2 * DAY);
    expect(await metric(service)).toMatchObject({ entitled: 5, trial: false });
    // December: November's deltas no longer count.
    clock.set('2026-12-01T00:00:00.000Z');
    expect((await metric(service))?.used).toBe(0);
    // And back in November (a clock set back) the cached December answer is not used.
    clock.set(new Date(Date.parse(T0) + 0.5 * DAY));
    expect(await metric(service)).toMatchObject({ used: 4, trialDaysRemaining: 2 });
  });

  it('is not kept when the cache is off', async () => {
    await addLicense(store, 5);
    const service = complianceService(store, { cacheBytes: 0 });
    const first = await service.account(ctx, ACCOUNT);
    const second = await service.account(ctx, ACCOUNT);
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
  });
});
