import fc from 'fast-check';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import {
  applyUsage,
  applyUsageBatch,
  bucketsOf,
  checkUsageRecord,
  consumptionOf,
  emptyAggregates,
  measureOf,
  periodDays,
  seriesOf,
  UsageBatchSchema,
  UsageRecordSchema,
  utcDay,
  type UsageRecord,
  type UsageRecordInput,
} from '../../src/domain/usage.js';
import {
  arrivals,
  deduplicated,
  naiveConsumption,
  naiveSeries,
  period,
  selection,
} from '../helpers/usage-model.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const input = (extra: Partial<UsageRecordInput> = {}): UsageRecordInput => ({
  id: 'r1',
  product: 'cvo',
  metric: 1,
  kind: 'delta',
  value: 1,
  at: '2026-11-23T11:00:00Z',
  ...extra,
});

describe('usage record schema and checks', () => {
  it('accepts a record and a batch of 1 to 10,000', () => {
    expect(Value.Check(UsageRecordSchema, input())).toBe(true);
    expect(Value.Check(UsageBatchSchema, { records: [input()] })).toBe(true);
    expect(Value.Check(UsageBatchSchema, { records: [] })).toBe(false);
    expect(Value.Check(UsageRecordSchema, { ...input(), value: -1 })).toBe(false);
    expect(Value.Check(UsageRecordSchema, { ...input(), id: 'x'.repeat(129) })).toBe(false);
    expect(Value.Check(UsageRecordSchema, { ...input(), kind: 'counter' })).toBe(false);
    expect(Value.Check(UsageRecordSchema, { ...input(), extra: 1 })).toBe(false);
  });

  it('wants exactly one of metric and feature', () => {
    expect(checkUsageRecord(input(), NOW, 90)).toEqual([]);
    expect(checkUsageRecord(input({ feature: 'X' }), NOW, 90).map((i) => i.name)).toEqual([
      'metric',
    ]);
    expect(checkUsageRecord(input({ metric: undefined }), NOW, 90).map((i) => i.name)).toEqual([
      'metric',
    ]);
  });

  it('refuses `at` in the future beyond 5 minutes of skew, or older than retention', () => {
    expect(checkUsageRecord(input({ at: '2026-11-23T12:04:59Z' }), NOW, 90)).toEqual([]);
    expect(checkUsageRecord(input({ at: '2026-11-23T12:05:01Z' }), NOW, 90)).toEqual([
      { name: 'at', reason: 'is in the future' },
    ]);
    expect(checkUsageRecord(input({ at: '2026-08-25T12:00:00Z' }), NOW, 90)).toEqual([]);
    expect(checkUsageRecord(input({ at: '2026-08-25T11:59:59Z' }), NOW, 90)).toEqual([
      { name: 'at', reason: 'is older than the 90-day retention window' },
    ]);
  });

  it('names measures and days', () => {
    expect(measureOf({ metric: 7 })).toBe('metric:7');
    expect(measureOf({ feature: 'BACKUP' })).toBe('feature:BACKUP');
    expect(utcDay('2026-11-23T23:59:59.999-01:00')).toBe('2026-11-24');
    expect(periodDays({ from: '2026-11-01T12:00:00Z', to: '2026-12-01T00:00:00Z' })).toEqual({
      firstDay: '2026-11-01',
      endDay: '2026-12-01',
    });
    expect(bucketsOf({ from: '2026-10-30', to: '2026-11-02' }, 'day')).toEqual([
      '2026-10-30',
      '2026-10-31',
      '2026-11-01',
    ]);
    expect(bucketsOf({ from: '2026-10-30', to: '2026-11-02' }, 'month')).toEqual([
      '2026-10',
      '2026-11',
    ]);
  });
});

const gauge = (id: string, value: number, at: string): UsageRecord => ({
  accountId: 'a',
  id,
  instanceId: 'i',
  productId: 1,
  measure: 'metric:1',
  kind: 'gauge',
  value,
  at,
});

describe('aggregates', () => {
  it('keeps the latest gauge per instance; ties go to the greater id', () => {
    const aggregates = emptyAggregates();
    applyUsage(aggregates, gauge('b', 5, '2026-11-02T00:00:00.000Z'));
    applyUsage(aggregates, gauge('a', 9, '2026-11-01T00:00:00.000Z'));
    applyUsage(aggregates, gauge('a2', 7, '2026-11-02T00:00:00.000Z'));
    const of = { accountIds: ['a'], productId: 1, measures: ['metric:1'] };
    const november = { from: '2026-11-01', to: '2026-12-01' };
    expect(consumptionOf(aggregates, of, november).gauges).toBe(5);
    applyUsage(aggregates, gauge('c', 3, '2026-11-02T00:00:00.000Z'));
    expect(consumptionOf(aggregates, of, november)).toEqual({
      gauges: 3,
      instances: 1,
      deltas: 0,
      used: 3,
    });
  });

  it('equal the naive definition for any order of arrival and any duplicates', () => {
    fc.assert(
      fc.property(arrivals, selection, period, (batches, of, p) => {
        const records = deduplicated(batches.flat());
        const aggregates = emptyAggregates();
        for (const r of records) applyUsage(aggregates, r);
        expect(consumptionOf(aggregates, of, p)).toEqual(naiveConsumption(records, of, p));
      }),
      { numRuns: 300 },
    );
  });

  it('folded a batch at a time, equal the records folded one by one', () => {
    fc.assert(
      fc.property(arrivals, (batches) => {
        const one = emptyAggregates();
        const batched = emptyAggregates();
        for (const batch of batches) {
          const records = deduplicated(batch);
          for (const r of records) applyUsage(one, r);
          applyUsageBatch(batched, records);
        }
        expect(batched).toEqual(one);
      }),
      { numRuns: 300 },
    );
    // A run of one series and day, as usage batches mostly are, then another series and back.
    const delta = (id: string, measure: string, value: number): UsageRecord => ({
      accountId: 'a',
      id,
      instanceId: null,
      productId: 1,
      measure,
      kind: 'delta',
      value,
      at: '2026-11-02T10:00:00.000Z',
    });
    const records = [
      delta('1', 'metric:1', 1),
      delta('2', 'metric:1', 2),
      delta('3', 'metric:2', 4),
      delta('4', 'metric:1', 8),
    ];
    const batched = emptyAggregates();
    applyUsageBatch(batched, records);
    expect([...batched.daily.values()]).toEqual([
      { deltaSum: 11, records: 3 },
      { deltaSum: 4, records: 1 },
    ]);
  });

  it('consecutive periods cover every day once', () => {
    fc.assert(
      fc.property(arrivals, period, fc.integer({ min: 1, max: 200 }), (batches, p, hours) => {
        const records = deduplicated(batches.flat());
        const of = { accountIds: ['a1', 'a2'], productId: 1, measures: ['metric:1'] };
        const middle = new Date(Date.parse(p.to) + hours * 3_600_000).toISOString();
        const whole = naiveConsumption(records, of, { from: p.from, to: middle });
        const first = naiveConsumption(records, of, p);
        const second = naiveConsumption(records, of, { from: p.to, to: middle });
        expect(first.deltas + second.deltas).toBe(whole.deltas);
      }),
    );
  });

  it('gathers daily rollups into a dense series', () => {
    const days = new Map([
      ['2026-10-31', { deltaSum: 1, records: 1 }],
      ['2026-11-01', { deltaSum: 2, records: 3 }],
      ['2026-12-01', { deltaSum: 9, records: 9 }],
    ]);
    const p = { from: '2026-10-31', to: '2026-11-03' };
    expect(seriesOf(days, p, 'day')).toEqual([
      { period: '2026-10-31', deltas: 1, records: 1 },
      { period: '2026-11-01', deltas: 2, records: 3 },
      { period: '2026-11-02', deltas: 0, records: 0 },
    ]);
    expect(seriesOf(days, p, 'month')).toEqual([
      { period: '2026-10', deltas: 1, records: 1 },
      { period: '2026-11', deltas: 2, records: 3 },
    ]);
  });

  it('series equal the naive series', () => {
    fc.assert(
      fc.property(
        arrivals,
        selection,
        period,
        fc.constantFrom('day' as const, 'month' as const),
        (batches, of, p, granularity) => {
          const records = deduplicated(batches.flat());
          const aggregates = emptyAggregates();
          for (const r of records) applyUsage(aggregates, r);
          const [account] = of.accountIds;
          const [measure] = of.measures;
          if (account === undefined || measure === undefined) return;
          const days = new Map<string, { deltaSum: number; records: number }>();
          for (const [key, rollup] of aggregates.daily) {
            const [a, product, m, day] = JSON.parse(key) as [string, number, string, string];
            if (a === account && product === of.productId && m === measure) days.set(day, rollup);
          }
          const one = { accountIds: [account], productId: of.productId, measures: [measure] };
          expect(seriesOf(days, p, granularity)).toEqual(naiveSeries(records, one, p, granularity));
        },
      ),
    );
  });
});
