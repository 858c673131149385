import {
  applyUsageBatch,
  emptyAggregates,
  measureOf,
  periodDays,
  type DailyRollup,
  type Period,
  type UsageRecord,
} from '../domain/usage.js';
import { CompiledQuery } from 'kysely';
import type { Executor, Tx } from './database.js';
import { dialectOf, type Dialect } from './dialect.js';

/**
 * Usage records and their aggregates. Records are inserted with multi-row statements compiled
 * once; the batch's new records are folded in memory with the domain's `applyUsageBatch` (one
 * row per aggregate key), then merged into the stored aggregates with `insert … on conflict do
 * update`, in the caller's transaction. Summaries read only the aggregates.
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
 * aggregates, in the caller's transaction (records and aggregates commit together or not at all;
 * it takes a savepoint per statement). The records must not repeat an (account, id) pair.
 * Returns the records stored; the rest were already there.
 */
export async function insertUsage(
  tx: Tx,
  records: readonly UsageRecord[],
  receivedAt: string,
): Promise<UsageRecord[]> {
  const dialect = dialectOf(tx);
  let fresh: UsageRecord[] | null = null;
  let start = 0;
  for (const size of statementSizes(records.length)) {
    const chunk = records.slice(start, start + size);
    start += size;
    const params: unknown[] = [];
    for (const r of chunk) {
      params.push(r.accountId, r.id, r.instanceId, r.productId, r.measure, r.kind, r.value, r.at);
      params.push(receivedAt);
    }
    // Usually every record is new: the plain insert says how many it stored, and when that is
    // all of them nothing more is needed. Otherwise it is undone and run again with `returning`,
    // which names the stored ones (on SQLite, `returning` costs more than half the insert).
    await tx.executeQuery(SAVEPOINT);
    const { numAffectedRows } = await tx.executeQuery(
      CompiledQuery.raw(insertStatement(dialect, tx, size, false).sql, params),
    );
    if (Number(numAffectedRows ?? 0) === size) {
      await tx.executeQuery(RELEASE);
      if (fresh !== null) fresh.push(...chunk);
      continue;
    }
    await tx.executeQuery(ROLLBACK_TO);
    await tx.executeQuery(RELEASE);
    const { rows } = await tx.executeQuery<{ account_id: string; id: string }>(
      CompiledQuery.raw(insertStatement(dialect, tx, size, true).sql, params),
    );
    const stored = new Set(rows.map((row) => recordKey(row.account_id, row.id)));
    fresh ??= records.slice(0, start - size);
    for (const r of chunk) if (stored.has(recordKey(r.accountId, r.id))) fresh.push(r);
  }
  const result = fresh ?? [...records];
  await mergeAggregates(tx, result);
  return result;
}

const SAVEPOINT = CompiledQuery.raw('savepoint usage_insert');
const RELEASE = CompiledQuery.raw('release savepoint usage_insert');
const ROLLBACK_TO = CompiledQuery.raw('rollback to savepoint usage_insert');

/**
 * How many rows each insert statement takes: full statements of ROWS_PER_STATEMENT, then the
 * rest in powers of two, so a handful of statement texts serve every batch size (each compiled
 * once per dialect and prepared once by the statement cache).
 */
export function statementSizes(count: number): number[] {
  const sizes: number[] = [];
  let left = count;
  while (left >= ROWS_PER_STATEMENT) {
    sizes.push(ROWS_PER_STATEMENT);
    left -= ROWS_PER_STATEMENT;
  }
  for (let size = 512; size >= 1; size /= 2) {
    if (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

const USAGE_COLUMNS = [
  'account_id',
  'id',
  'instance_id',
  'product_id',
  'measure',
  'kind',
  'value',
  'at',
  'received_at',
] as const;

/**
 * `insert … on conflict do nothing` of `rows` rows (`returning account_id, id` when asked),
 * compiled once.
 */
const insertStatements = new Map<string, CompiledQuery>();

function insertStatement(
  dialect: Dialect,
  db: Executor,
  rows: number,
  returning: boolean,
): CompiledQuery {
  const key = `${dialect}:${String(rows)}:${String(returning)}`;
  let compiled = insertStatements.get(key);
  if (compiled === undefined) {
    // Built with distinct markers, to check the placeholders come row by row, column by column:
    // the order insertUsage pushes its parameters in.
    const markers: string[] = [];
    const values = Array.from({ length: rows }, (_, row) => {
      const entries = USAGE_COLUMNS.map((column) => {
        const marker = `${String(row)}.${column}`;
        markers.push(marker);
        return [column, marker];
      });
      // Markers stand in for values of every type: only the compiled SQL is kept.
      return Object.fromEntries(entries) as Record<(typeof USAGE_COLUMNS)[number], never>;
    });
    const insert = db
      .insertInto('usage_records')
      .values(values)
      .onConflict((oc) => oc.columns(['account_id', 'id']).doNothing());
    compiled = returning ? insert.returning(['account_id', 'id']).compile() : insert.compile();
    if (
      compiled.parameters.length !== markers.length ||
      compiled.parameters.some((p, i) => p !== markers[i])
    ) {
      throw new Error('the usage insert does not take its parameters row by row');
    }
    insertStatements.set(key, compiled);
  }
  return compiled;
}

async function mergeAggregates(db: Executor, records: readonly UsageRecord[]): Promise<void> {
  const batch = emptyAggregates();
  applyUsageBatch(batch, records);

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
