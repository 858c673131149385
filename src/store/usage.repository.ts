import {
  applyUsage,
  emptyAggregates,
  measureOf,
  periodDays,
  type DailyRollup,
  type Period,
  type UsageRecord,
} from '../domain/usage.js';
import type { Executor } from './database.js';

/**
 * Usage records and their aggregates. Records are inserted with multi-row statements; the batch's
 * new records are folded in memory with the domain's `applyUsage` (one row per aggregate key),
 * then merged into the stored aggregates with `insert … on conflict do update`, in the caller's
 * transaction. Summaries read only the aggregates.
 */

// SQLite allows 32,766 bound parameters per statement; stay well below.
const ROWS_PER_STATEMENT = 1000;

function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    out.push(items.slice(start, start + size));
  return out;
}

/** The account of each of these instances that exists. */
export async function instanceAccounts(
  db: Executor,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const accounts = new Map<string, string>();
  for (const part of chunks(ids)) {
    const rows = await db
      .selectFrom('instances')
      .select(['id', 'account_id'])
      .where('id', 'in', part)
      .execute();
    for (const row of rows) accounts.set(row.id, row.account_id);
  }
  return accounts;
}

const recordKey = (accountId: string, id: string) => `${accountId}\u0000${id}`;

/**
 * Stores the records that are new (by account and id) and folds exactly those into the
 * aggregates. Run it in a transaction: records and aggregates commit together or not at all.
 * The records must not repeat an (account, id) pair. Returns the keys of the records stored,
 * as `recordKey(accountId, id)`; the rest were already there.
 */
export async function insertUsage(
  db: Executor,
  records: readonly UsageRecord[],
  receivedAt: string,
): Promise<UsageRecord[]> {
  const inserted = new Set<string>();
  for (const part of chunks(records)) {
    const rows = await db
      .insertInto('usage_records')
      .values(
        part.map((r) => ({
          account_id: r.accountId,
          id: r.id,
          instance_id: r.instanceId,
          product_id: r.productId,
          measure: r.measure,
          kind: r.kind,
          value: r.value,
          at: r.at,
          received_at: receivedAt,
        })),
      )
      .onConflict((oc) => oc.columns(['account_id', 'id']).doNothing())
      .returning(['account_id', 'id'])
      .execute();
    for (const row of rows) inserted.add(recordKey(row.account_id, row.id));
  }
  const fresh = records.filter((r) => inserted.has(recordKey(r.accountId, r.id)));
  await mergeAggregates(db, fresh);
  return fresh;
}

async function mergeAggregates(db: Executor, records: readonly UsageRecord[]): Promise<void> {
  const batch = emptyAggregates();
  for (const record of records) applyUsage(batch, record);

  const daily = [...batch.daily].map(([key, rollup]) => {
    const [accountId, productId, measure, day] = JSON.parse(key) as [
      string,
      number,
      string,
      string,
    ];
    return {
      account_id: accountId,
      product_id: productId,
      measure,
      day,
      delta_sum: rollup.deltaSum,
      records: rollup.records,
    };
  });
  for (const part of chunks(daily)) {
    await db
      .insertInto('usage_daily')
      .values(part)
      .onConflict((oc) =>
        oc.columns(['account_id', 'product_id', 'measure', 'day']).doUpdateSet((eb) => ({
          delta_sum: eb(eb.ref('usage_daily.delta_sum'), '+', eb.ref('excluded.delta_sum')),
          records: eb(eb.ref('usage_daily.records'), '+', eb.ref('excluded.records')),
        })),
      )
      .execute();
  }

  const gauges = [...batch.gauges].map(([key, gauge]) => {
    const [accountId, productId, measure, instanceKey] = JSON.parse(key) as [
      string,
      number,
      string,
      string,
    ];
    return {
      account_id: accountId,
      product_id: productId,
      measure,
      instance_key: instanceKey,
      value: gauge.value,
      at: gauge.at,
      record_id: gauge.recordId,
    };
  });
  for (const part of chunks(gauges)) {
    // The stored gauge is replaced only by a newer one (isNewerGauge): a late, older gauge is kept
    // in the raw records but does not move the level.
    await db
      .insertInto('usage_gauges')
      .values(part)
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'product_id', 'measure', 'instance_key'])
          .doUpdateSet((eb) => ({
            value: eb.ref('excluded.value'),
            at: eb.ref('excluded.at'),
            record_id: eb.ref('excluded.record_id'),
          }))
          .where((eb) =>
            eb.or([
              eb('excluded.at', '>', eb.ref('usage_gauges.at')),
              eb.and([
                eb('excluded.at', '=', eb.ref('usage_gauges.at')),
                eb('excluded.record_id', '>', eb.ref('usage_gauges.record_id')),
              ]),
            ]),
          ),
      )
      .execute();
  }
}

/**
 * What the accounts used of a product's metrics in `[from, to)`: their latest gauges (one per
 * instance) summed, plus the deltas of the period's UTC days (see `periodDays`). Reads the
 * aggregates only. For charges and compliance.
 */
export async function usedInPeriod(
  db: Executor,
  accountIds: readonly string[],
  productId: number,
  metricIds: readonly number[],
  from: string,
  to: string,
): Promise<number> {
  if (accountIds.length === 0 || metricIds.length === 0) return 0;
  const measures = metricIds.map((metric) => measureOf({ metric }));
  const summary = await usageTotals(db, accountIds, productId, measures, { from, to });
  return summary.gauges + summary.deltas;
}

export interface UsageTotals {
  gauges: number;
  instances: number;
  deltas: number;
}

export async function usageTotals(
  db: Executor,
  accountIds: readonly string[],
  productId: number,
  measures: readonly string[],
  period: Period,
): Promise<UsageTotals> {
  const { firstDay, endDay } = periodDays(period);
  const gauges = await db
    .selectFrom('usage_gauges')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('value'), eb.lit(0)).as('total'),
      eb.fn.countAll<number>().as('instances'),
    ])
    .where('account_id', 'in', [...accountIds])
    .where('product_id', '=', productId)
    .where('measure', 'in', [...measures])
    .executeTakeFirstOrThrow();
  const deltas = await db
    .selectFrom('usage_daily')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('delta_sum'), eb.lit(0)).as('total'))
    .where('account_id', 'in', [...accountIds])
    .where('product_id', '=', productId)
    .where('measure', 'in', [...measures])
    .where('day', '>=', firstDay)
    .where('day', '<', endDay)
    .executeTakeFirstOrThrow();
  return { gauges: gauges.total, instances: gauges.instances, deltas: deltas.total };
}

/** The daily rollups of one account × product × measure in the period, by day. */
export async function dailyRollups(
  db: Executor,
  accountId: string,
  productId: number,
  measure: string,
  period: Period,
): Promise<Map<string, DailyRollup>> {
  const { firstDay, endDay } = periodDays(period);
  const rows = await db
    .selectFrom('usage_daily')
    .select(['day', 'delta_sum', 'records'])
    .where('account_id', '=', accountId)
    .where('product_id', '=', productId)
    .where('measure', '=', measure)
    .where('day', '>=', firstDay)
    .where('day', '<', endDay)
    .orderBy('day')
    .execute();
  return new Map(rows.map((r) => [r.day, { deltaSum: r.delta_sum, records: r.records }]));
}

/**
 * Deletes raw records measured before `before`. The aggregates are left as they are: summaries
 * keep counting pruned usage. Returns how many records were deleted.
 */
export async function pruneUsage(db: Executor, before: string): Promise<number> {
  const result = await db.deleteFrom('usage_records').where('at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Raw records of an account, oldest first: for tests and exports, never for summaries. */
export async function listUsageRecords(db: Executor, accountId: string): Promise<UsageRecord[]> {
  const rows = await db
    .selectFrom('usage_records')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    accountId: r.account_id,
    id: r.id,
    instanceId: r.instance_id,
    productId: r.product_id,
    measure: r.measure,
    kind: r.kind === 'gauge' ? 'gauge' : 'delta',
    value: r.value,
    at: r.at,
  }));
}

export interface MeasureConsumption {
  productId: number;
  /** `metric:<id>` or `feature:<id>`. */
  measure: string;
  /** Latest gauges summed over instances plus the deltas of the period. */
  consumed: number;
}

/**
 * What an account consumes now, per product and measure, from the aggregates only: the latest
 * gauge of each instance summed, plus the deltas of the days in [firstDay, endDay).
 */
export async function accountConsumption(
  db: Executor,
  accountId: string,
  firstDay: string,
  endDay: string,
): Promise<MeasureConsumption[]> {
  const [gauges, deltas] = await Promise.all([
    db
      .selectFrom('usage_gauges')
      .select(['product_id', 'measure', (eb) => eb.fn.sum<number | string>('value').as('total')])
      .where('account_id', '=', accountId)
      .groupBy(['product_id', 'measure'])
      .execute(),
    db
      .selectFrom('usage_daily')
      .select([
        'product_id',
        'measure',
        (eb) => eb.fn.sum<number | string>('delta_sum').as('total'),
      ])
      .where('account_id', '=', accountId)
      .where('day', '>=', firstDay)
      .where('day', '<', endDay)
      .groupBy(['product_id', 'measure'])
      .execute(),
  ]);
  const totals = new Map<string, MeasureConsumption>();
  for (const row of [...gauges, ...deltas]) {
    const key = `${String(row.product_id)}|${row.measure}`;
    const current = totals.get(key) ?? {
      productId: row.product_id,
      measure: row.measure,
      consumed: 0,
    };
    current.consumed += Number(row.total);
    totals.set(key, current);
  }
  return [...totals.values()];
}
