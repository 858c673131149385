import { Type, type Static } from 'typebox';
import { AccountId } from './account.js';
import type { FieldIssue } from './errors.js';

/**
 * Usage: what instances and metering services report against a product's metric or feature.
 *
 * A record is a `gauge` (the instance's current level: "12 nodes now") or a `delta` (an
 * increment: "3 more jobs ran"). Consumption of a period is the latest gauge of each instance,
 * summed, plus the deltas of the period. Records are kept raw for a retention window; the
 * aggregates below are what every summary reads, and they are folded in as records arrive, in any
 * order. The store keeps the same aggregates in SQL (`store/usage.repository.ts`); the functions
 * here are the reference the property tests hold it to.
 */
export const USAGE_KINDS = ['gauge', 'delta'] as const;
export type UsageKind = (typeof USAGE_KINDS)[number];

export const MAX_USAGE_BATCH = 10_000;
/** Largest value one record may carry: sums stay exact well past any real consumption. */
export const MAX_USAGE_VALUE = 1e15;
/** Clocks drift: a record may be stamped this far ahead of the server's time. */
export const FUTURE_SKEW_MS = 5 * 60_000;
export const DEFAULT_USAGE_RETENTION_DAYS = 90;

const DAY_MS = 86_400_000;

export const UsageRecordSchema = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 128,
      description:
        "The client's id of the record, unique within the account: a record sent again with the same id is acknowledged as a duplicate and counted once.",
    }),
    account: Type.Optional(AccountId),
    instance: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          'The reporting instance; an instance token defaults to (and may only name) itself.',
      }),
    ),
    product: Type.String({ minLength: 1, maxLength: 64, description: 'Product id or slug.' }),
    metric: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'A metric id of the product.' }),
    ),
    feature: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'A feature id of the product.' }),
    ),
    value: Type.Number({ minimum: 0, maximum: MAX_USAGE_VALUE }),
    kind: Type.Enum(USAGE_KINDS, {
      description: '`gauge`: the current level (latest wins); `delta`: an increment (summed).',
    }),
    at: Type.String({ format: 'date-time', description: 'When the value was measured.' }),
  },
  { additionalProperties: false },
);
export type UsageRecordInput = Static<typeof UsageRecordSchema>;

export const UsageBatchSchema = Type.Object(
  {
    records: Type.Array(UsageRecordSchema, { minItems: 1, maxItems: MAX_USAGE_BATCH }),
  },
  { additionalProperties: false },
);
export type UsageBatch = Static<typeof UsageBatchSchema>;

export const UsageIngestResultSchema = Type.Object({
  accepted: Type.Integer({ description: 'Records stored by this request.' }),
  duplicates: Type.Integer({
    description: 'Records already stored (same account and id): acknowledged, not counted again.',
  }),
  rejected: Type.Array(
    Type.Object({
      index: Type.Integer({ description: 'Position of the record in `records`.' }),
      id: Type.String(),
      reasons: Type.Array(Type.Object({ name: Type.String(), reason: Type.String() })),
    }),
  ),
});
export type UsageIngestResult = Static<typeof UsageIngestResultSchema>;

/** A record that passed every check: account and product resolved, time normalized to UTC. */
export interface UsageRecord {
  accountId: string;
  id: string;
  /** null when the usage is not tied to one instance (e.g. a metering service's delta). */
  instanceId: string | null;
  productId: number;
  /** `metric:<id>` or `feature:<id>`; see {@link measureOf}. */
  measure: string;
  kind: UsageKind;
  value: number;
  /** ISO-8601 UTC with milliseconds, so it sorts as text. */
  at: string;
}

/**
 * The key of what a record measures: `measureOf({ metric: 7 })` is `'metric:7'`,
 * `measureOf({ feature: 'BACKUP' })` is `'feature:BACKUP'`.
 */
export function measureOf(of: { metric?: number | undefined; feature?: string | undefined }) {
  return of.metric === undefined ? `feature:${of.feature ?? ''}` : `metric:${String(of.metric)}`;
}

/** The UTC day of an instant: `utcDay('2026-11-23T23:59:59Z')` is `'2026-11-23'`. */
export function utcDay(iso: string): string {
  // Stored instants are `toISOString()`'s (`2026-11-23T23:59:59.000Z`): their day is their first
  // ten characters, without parsing a date per usage record.
  if (iso.length === 24 && iso.charCodeAt(23) === 90 /* Z */ && iso.charCodeAt(10) === 84 /* T */)
    return iso.slice(0, 10);
  return new Date(iso).toISOString().slice(0, 10);
}

/**
 * Rules a JSON schema cannot express, given the server's time and the retention window: exactly
 * one of metric and feature; `at` neither in the future (beyond clock skew) nor older than the raw
 * records are kept, because a pruned record sent again could not be recognized as a duplicate.
 */
export function checkUsageRecord(
  record: UsageRecordInput,
  now: Date,
  retentionDays: number,
  /** `Date.parse(record.at)`, when the caller has it already. */
  at = Date.parse(record.at),
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if ((record.metric === undefined) === (record.feature === undefined)) {
    issues.push({ name: 'metric', reason: 'give exactly one of metric and feature' });
  }
  if (Number.isNaN(at)) {
    issues.push({ name: 'at', reason: 'is not a valid date-time' });
  } else if (at > now.getTime() + FUTURE_SKEW_MS) {
    issues.push({ name: 'at', reason: 'is in the future' });
  } else if (at < now.getTime() - retentionDays * DAY_MS) {
    issues.push({
      name: 'at',
      reason: `is older than the ${String(retentionDays)}-day retention window`,
    });
  }
  return issues;
}

/** The latest gauge of one instance. Later `at` wins; at the same `at`, the greater record id. */
export interface LatestGauge {
  value: number;
  at: string;
  recordId: string;
}

export function isNewerGauge(candidate: LatestGauge, current: LatestGauge): boolean {
  return (
    candidate.at > current.at ||
    (candidate.at === current.at && candidate.recordId > current.recordId)
  );
}

/** Deltas summed and records counted for one account × product × measure × UTC day. */
export interface DailyRollup {
  deltaSum: number;
  records: number;
}

/** Every aggregate of usage: what summaries read instead of raw records. */
export interface UsageAggregates {
  /** Keyed by {@link dailyKey}. */
  daily: Map<string, DailyRollup>;
  /** Keyed by {@link gaugeKey}; an absent instance is the empty string. */
  gauges: Map<string, LatestGauge>;
}

export function emptyAggregates(): UsageAggregates {
  return { daily: new Map(), gauges: new Map() };
}

export function seriesKey(accountId: string, productId: number, measure: string): string {
  return JSON.stringify([accountId, productId, measure]);
}
export function dailyKey(record: UsageRecord): string {
  return JSON.stringify([record.accountId, record.productId, record.measure, utcDay(record.at)]);
}
export function gaugeKey(record: UsageRecord): string {
  return JSON.stringify([
    record.accountId,
    record.productId,
    record.measure,
    record.instanceId ?? '',
  ]);
}

/** A gauge record replaces its series' stored reading only when it is newer. */
function foldGauge(aggregates: UsageAggregates, record: UsageRecord): void {
  if (record.kind !== 'gauge') return;
  const key = gaugeKey(record);
  const candidate = { value: record.value, at: record.at, recordId: record.id };
  const current = aggregates.gauges.get(key);
  if (current === undefined || isNewerGauge(candidate, current)) {
    aggregates.gauges.set(key, candidate);
  }
}

/**
 * Folds one new record (never one already applied: the caller deduplicates by id) into the
 * aggregates. Order does not matter: a delta lands in its own day whenever it arrives, and a late
 * gauge older than the stored one does not replace it.
 */
export function applyUsage(aggregates: UsageAggregates, record: UsageRecord): void {
  const day = dailyKey(record);
  const rollup = aggregates.daily.get(day) ?? { deltaSum: 0, records: 0 };
  aggregates.daily.set(day, {
    deltaSum: rollup.deltaSum + (record.kind === 'delta' ? record.value : 0),
    records: rollup.records + 1,
  });
  foldGauge(aggregates, record);
}

/**
 * Folds a batch of new records, as {@link applyUsage} one by one would, with the daily key made
 * once per run of records of the same series and day (a batch is usually one series, one day).
 */
export function applyUsageBatch(
  aggregates: UsageAggregates,
  records: readonly UsageRecord[],
): void {
  let last: UsageRecord | undefined;
  let lastDay = '';
  let rollup: DailyRollup | undefined;
  for (const record of records) {
    const day = utcDay(record.at);
    if (
      rollup === undefined ||
      last === undefined ||
      day !== lastDay ||
      record.accountId !== last.accountId ||
      record.productId !== last.productId ||
      record.measure !== last.measure
    ) {
      const key = dailyKey(record);
      const stored = aggregates.daily.get(key) ?? { deltaSum: 0, records: 0 };
      // A copy: the map may hold a rollup the caller still reads.
      rollup = { deltaSum: stored.deltaSum, records: stored.records };
      aggregates.daily.set(key, rollup);
    }
    last = record;
    lastDay = day;
    if (record.kind === 'delta') rollup.deltaSum += record.value;
    rollup.records += 1;
    foldGauge(aggregates, record);
  }
}

/** A period `[from, to)`. Deltas count by UTC day: see {@link periodDays}. */
export interface Period {
  from: string;
  to: string;
}

/**
 * The UTC days a period covers: from the day of `from` up to, not including, the day of `to`.
 * Rollups are daily, so both ends are taken to their day; consecutive periods `[a, b)`, `[b, c)`
 * still cover every day exactly once. `periodDays({from: '2026-01-01T00:00:00Z', to:
 * '2026-02-01T00:00:00Z'})` is January.
 */
export function periodDays(period: Period): { firstDay: string; endDay: string } {
  return { firstDay: utcDay(period.from), endDay: utcDay(period.to) };
}

export interface Consumption {
  /** The latest gauge of every instance, summed (the current level). */
  gauges: number;
  /** Instances with a gauge. */
  instances: number;
  /** Deltas of the period. */
  deltas: number;
  /** gauges + deltas. */
  used: number;
}

/** Consumption of one account × product × measure, from the aggregates. */
export function consumptionOf(
  aggregates: UsageAggregates,
  of: { accountIds: readonly string[]; productId: number; measures: readonly string[] },
  period: Period,
): Consumption {
  const { firstDay, endDay } = periodDays(period);
  const series = new Set(
    of.accountIds.flatMap((a) => of.measures.map((m) => seriesKey(a, of.productId, m))),
  );
  let gauges = 0;
  let instances = 0;
  for (const [key, gauge] of aggregates.gauges) {
    const [accountId, productId, measure] = JSON.parse(key) as [string, number, string];
    if (series.has(seriesKey(accountId, productId, measure))) {
      gauges += gauge.value;
      instances++;
    }
  }
  let deltas = 0;
  for (const [key, rollup] of aggregates.daily) {
    const [accountId, productId, measure, day] = JSON.parse(key) as [
      string,
      number,
      string,
      string,
    ];
    if (series.has(seriesKey(accountId, productId, measure)) && day >= firstDay && day < endDay) {
      deltas += rollup.deltaSum;
    }
  }
  return { gauges, instances, deltas, used: gauges + deltas };
}

export const GRANULARITIES = ['day', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export interface SeriesPoint {
  /** `YYYY-MM-DD` for days, `YYYY-MM` for months. */
  period: string;
  deltas: number;
  records: number;
}

/** The bucket of a UTC day. */
export function bucketOf(day: string, granularity: Granularity): string {
  return granularity === 'day' ? day : day.slice(0, 7);
}

/** Every bucket of a period, in order, including empty ones. */
export function bucketsOf(period: Period, granularity: Granularity): string[] {
  const { firstDay, endDay } = periodDays(period);
  const buckets: string[] = [];
  for (let t = Date.parse(firstDay); ; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day >= endDay) break;
    const bucket = bucketOf(day, granularity);
    if (buckets[buckets.length - 1] !== bucket) buckets.push(bucket);
  }
  return buckets;
}

/** Daily rollups (day → rollup) gathered into a dense series over the period. */
export function seriesOf(
  days: ReadonlyMap<string, DailyRollup>,
  period: Period,
  granularity: Granularity,
): SeriesPoint[] {
  const points = new Map(
    bucketsOf(period, granularity).map((bucket) => [
      bucket,
      { period: bucket, deltas: 0, records: 0 },
    ]),
  );
  const { firstDay, endDay } = periodDays(period);
  for (const [day, rollup] of days) {
    // A month bucket may reach past the period: only the period's own days count.
    if (day < firstDay || day >= endDay) continue;
    const point = points.get(bucketOf(day, granularity));
    if (point === undefined) continue;
    point.deltas += rollup.deltaSum;
    point.records += rollup.records;
  }
  return [...points.values()];
}

/** Longest period the read endpoint serves in one answer, per granularity. */
export const MAX_SERIES_DAYS: Record<Granularity, number> = { day: 400, month: 3660 };

export function periodLengthDays(period: Period): number {
  const { firstDay, endDay } = periodDays(period);
  return (Date.parse(endDay) - Date.parse(firstDay)) / DAY_MS;
}
