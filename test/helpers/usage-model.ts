import fc from 'fast-check';
import {
  bucketsOf,
  utcDay,
  type Granularity,
  type Period,
  type SeriesPoint,
  type UsageRecord,
} from '../../src/domain/usage.js';

/**
 * The naive definition of consumption, straight from raw records: what the aggregates must equal.
 * Records arrive in order; of several with the same account and id, the first one counts.
 */
export function deduplicated(arrivals: readonly UsageRecord[]): UsageRecord[] {
  const seen = new Set<string>();
  return arrivals.filter((r) => {
    const key = `${r.accountId}\u0000${r.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface Selection {
  accountIds: readonly string[];
  productId: number;
  measures: readonly string[];
}

const selected = (r: UsageRecord, of: Selection) =>
  of.accountIds.includes(r.accountId) &&
  r.productId === of.productId &&
  of.measures.includes(r.measure);

/** Latest gauge per instance (later `at`, then greater id), summed; deltas of the period's days. */
export function naiveConsumption(records: readonly UsageRecord[], of: Selection, period: Period) {
  const latest = new Map<string, UsageRecord>();
  for (const r of records) {
    if (!selected(r, of) || r.kind !== 'gauge') continue;
    const key = JSON.stringify([r.accountId, r.productId, r.measure, r.instanceId ?? '']);
    const current = latest.get(key);
    if (current === undefined || r.at > current.at || (r.at === current.at && r.id > current.id)) {
      latest.set(key, r);
    }
  }
  const gauges = [...latest.values()].reduce((sum, r) => sum + r.value, 0);
  const first = utcDay(period.from);
  const end = utcDay(period.to);
  const deltas = records
    .filter(
      (r) => selected(r, of) && r.kind === 'delta' && utcDay(r.at) >= first && utcDay(r.at) < end,
    )
    .reduce((sum, r) => sum + r.value, 0);
  return { gauges, instances: latest.size, deltas, used: gauges + deltas };
}

export function naiveSeries(
  records: readonly UsageRecord[],
  of: Selection,
  period: Period,
  granularity: Granularity,
): SeriesPoint[] {
  return bucketsOf(period, granularity).map((bucket) => {
    const inBucket = records.filter(
      (r) => selected(r, of) && utcDay(r.at).startsWith(bucket) && utcDay(r.at) < utcDay(period.to),
    );
    const inPeriod = inBucket.filter((r) => utcDay(r.at) >= utcDay(period.from));
    return {
      period: bucket,
      deltas: inPeriod.filter((r) => r.kind === 'delta').reduce((sum, r) => sum + r.value, 0),
      records: inPeriod.length,
    };
  });
}

export const ACCOUNTS = ['a1', 'a2'] as const;
export const MEASURES = ['metric:1', 'metric:2', 'feature:X'] as const;
const BASE = Date.parse('2026-10-28T00:00:00.000Z');
const HOUR_MS = 3_600_000;

/** Records over ten days around a month end, on coarse hours so that gauges tie on `at`. */
export const usageRecord: fc.Arbitrary<UsageRecord> = fc.record({
  accountId: fc.constantFrom(...ACCOUNTS),
  id: fc.integer({ min: 0, max: 10_000 }).map((n) => `r${String(n)}`),
  instanceId: fc.constantFrom(null, 'i1', 'i2'),
  productId: fc.constantFrom(1, 2),
  measure: fc.constantFrom(...MEASURES),
  kind: fc.constantFrom('gauge' as const, 'delta' as const),
  // Quarters are exact in binary: sums compare exactly whatever the order of addition.
  value: fc.integer({ min: 0, max: 4000 }).map((n) => n / 4),
  at: fc.integer({ min: 0, max: 240 }).map((h) => new Date(BASE + h * HOUR_MS).toISOString()),
});

/**
 * Arrivals: distinct records, some sent again (as they were, or with another value under the same
 * id: the first to arrive counts), some tied with another at the same instant, shuffled, cut into
 * batches.
 */
export const arrivals = fc
  .uniqueArray(usageRecord, {
    minLength: 1,
    maxLength: 60,
    selector: (r) => `${r.accountId}/${r.id}`,
  })
  .chain((records) =>
    fc
      .tuple(
        fc.subarray(records),
        fc.subarray(records),
        fc.subarray(records),
        fc.integer({ min: 0, max: 4000 }).map((n) => n / 4),
      )
      .map(([again, altered, tied, value]) => [
        ...records,
        ...again,
        ...altered.map((r) => ({ ...r, value })),
        // Other records measured at the same instant: gauges tie on `at`, the greater id wins.
        ...tied.map((r) => ({ ...r, id: `${r.id}t`, value: value + 1 })),
      ]),
  )
  .chain((all) => fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }))
  .chain((ordered) =>
    fc
      .uniqueArray(fc.integer({ min: 1, max: Math.max(1, ordered.length - 1) }), {
        maxLength: 6,
      })
      .map((cuts) => {
        const points = [
          0,
          ...cuts.filter((c) => c < ordered.length).sort((a, b) => a - b),
          ordered.length,
        ];
        const batches: UsageRecord[][] = [];
        for (let i = 0; i + 1 < points.length; i++) {
          const part = ordered.slice(points[i], points[i + 1]);
          if (part.length > 0) batches.push(part);
        }
        return batches;
      }),
  );

/** Periods of whole or partial days around the records, at least one day long. */
export const period: fc.Arbitrary<Period> = fc
  .tuple(fc.integer({ min: -48, max: 240 }), fc.integer({ min: 24, max: 400 }))
  .map(([start, length]) => ({
    from: new Date(BASE + start * HOUR_MS).toISOString(),
    to: new Date(BASE + (start + length) * HOUR_MS).toISOString(),
  }))
  .filter((p) => utcDay(p.to) > utcDay(p.from));

export const selection: fc.Arbitrary<Selection> = fc.record({
  accountIds: fc.subarray([...ACCOUNTS], { minLength: 1 }),
  productId: fc.constantFrom(1, 2),
  measures: fc.subarray([...MEASURES], { minLength: 1 }),
});
