import { InvalidParams, NotFound, type FieldIssue } from '../domain/errors.js';
import type { Product } from '../domain/product.js';
import { canSeeAccount, requireAccount, requireRole, type Principal } from '../domain/principal.js';
import {
  checkUsageRecord,
  DEFAULT_USAGE_RETENTION_DAYS,
  MAX_SERIES_DAYS,
  measureOf,
  periodDays,
  periodLengthDays,
  seriesOf,
  type Consumption,
  type Granularity,
  type SeriesPoint,
  type UsageBatch,
  type UsageIngestResult,
  type UsageRecord,
  type UsageRecordInput,
} from '../domain/usage.js';
import { findAccount, missingAccounts } from '../store/accounts.repository.js';
import type { Store, Tx } from '../store/database.js';
import { findProduct } from '../store/products.repository.js';
import {
  dailyRollups,
  insertUsage,
  instanceAccounts,
  usageTotals,
} from '../store/usage.repository.js';
import { recordChange } from './audit.js';
import { deleteOlderThan } from '../store/prune.js';
import type { ServiceContext } from './context.js';
import { productRef } from './products.js';

const DAY_MS = 86_400_000;

export interface UsageServiceOptions {
  /** Days raw records are kept; older records are refused, since they could not be deduplicated. */
  retentionDays?: number | undefined;
}

export interface UsageQuery {
  product: string;
  metric?: string | undefined;
  feature?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  granularity?: Granularity | undefined;
}

export interface UsageReport {
  accountId: string;
  product: number;
  metric?: number;
  feature?: string;
  /** First UTC day of the period. */
  from: string;
  /** The UTC day after the period. */
  to: string;
  granularity: Granularity;
  consumption: Consumption;
  series: SeriesPoint[];
}

/** What the batch's records name, loaded once per batch rather than once per record. */
interface Lookups {
  products: Map<string, Product | undefined>;
  instanceAccount: Map<string, string>;
  missingAccounts: Set<string>;
  /** `at` as given → [ms since the epoch, ISO-8601 UTC]: a batch's records often share it. */
  instants: Map<string, [number, string]>;
}

/** Usage ingestion (metering services, instances, operators) and consumption read from aggregates. */
export function usageService(store: Store, options: UsageServiceOptions = {}) {
  const retentionDays = options.retentionDays ?? DEFAULT_USAGE_RETENTION_DAYS;

  return {
    retentionDays,

    /**
     * Stores a batch in one transaction. Each record is checked on its own: bad ones are listed in
     * `rejected` with their reasons, good ones are stored. A record whose (account, id) is already
     * stored — or repeated in the batch — is a duplicate: acknowledged, not counted again.
     * `malformed` holds the records (by index) that failed the schema, with its reasons: they are
     * not checked further and may be of any shape.
     */
    ingest(
      ctx: ServiceContext,
      batch: UsageBatch,
      malformed: ReadonlyMap<number, FieldIssue[]> = new Map(),
    ): Promise<UsageIngestResult> {
      requireRole(ctx.principal, ['operator', 'service', 'instance']);
      const now = ctx.clock.now();
      const wellFormed = batch.records.filter((_, index) => !malformed.has(index));
      return store.transaction('usage.ingest', async (tx) => {
        const lookups = await lookUp(tx, ctx.principal, wellFormed);
        const rejected: UsageIngestResult['rejected'] = [];
        const candidates: UsageRecord[] = [];
        const seen = new Set<string>();
        let repeated = 0;
        for (const [index, input] of batch.records.entries()) {
          const shapeIssues = malformed.get(index);
          if (shapeIssues !== undefined) {
            rejected.push({ index, id: idOf(input), reasons: shapeIssues });
            continue;
          }
          const checked = resolve(ctx.principal, input, lookups, now, retentionDays);
          if ('reasons' in checked) {
            rejected.push({ index, id: input.id, reasons: checked.reasons });
            continue;
          }
          const key = `${checked.accountId}\u0000${checked.id}`;
          if (seen.has(key)) {
            repeated++;
            continue;
          }
          seen.add(key);
          candidates.push(checked);
        }
        const stored = await insertUsage(tx, candidates, now.toISOString());
        const perAccount = new Map<string, number>();
        for (const record of stored) {
          perAccount.set(record.accountId, (perAccount.get(record.accountId) ?? 0) + 1);
        }
        // One event per account and batch: the audit trail without a row per record.
        for (const [accountId, accepted] of perAccount) {
          await recordChange(tx, ctx, {
            type: 'usage.recorded',
            accountId,
            resourceType: 'usage',
            resourceId: accountId,
            after: { accepted },
          });
        }
        return {
          accepted: stored.length,
          duplicates: candidates.length - stored.length + repeated,
          rejected,
        };
      });
    },

    /** Consumption of a period and its series per day or month, from the aggregates only. */
    async report(ctx: ServiceContext, accountId: string, query: UsageQuery): Promise<UsageReport> {
      requireAccount(ctx.principal, 'Account', accountId);
      const granularity = query.granularity ?? 'day';
      const period = periodOf(query, ctx.clock.now());
      return store.read(async (db) => {
        if ((await findAccount(db, accountId)) === undefined) {
          throw new NotFound('Account', accountId);
        }
        const product = await findProduct(db, productRef(query.product));
        const issues = measureIssues(product, query);
        if (product === undefined || issues.length > 0) throw new InvalidParams(issues);
        const measure = measureOf({
          metric: query.metric === undefined ? undefined : Number(query.metric),
          feature: query.feature,
        });
        const totals = await usageTotals(db, [accountId], product.id, [measure], period);
        const days = await dailyRollups(db, accountId, product.id, measure, period);
        const { firstDay, endDay } = periodDays(period);
        return {
          accountId,
          product: product.id,
          ...(query.metric === undefined ? {} : { metric: Number(query.metric) }),
          ...(query.feature === undefined ? {} : { feature: query.feature }),
          from: firstDay,
          to: endDay,
          granularity,
          consumption: { ...totals, used: totals.gauges + totals.deltas },
          series: seriesOf(days, period, granularity),
        };
      });
    },

    /**
     * Deletes raw records measured before `before` (default: the retention window). Aggregates
     * are untouched. Operators; the `usage.prune` job calls it every 6 hours.
     */
    async prune(ctx: ServiceContext, before?: string): Promise<number> {
      requireRole(ctx.principal, ['operator']);
      const cutoff =
        before ?? new Date(ctx.clock.now().getTime() - retentionDays * DAY_MS).toISOString();
      return store.transaction('usage.prune', async (tx) => {
        const deleted = await deleteOlderThan(tx, 'usage_records', cutoff);
        await recordChange(tx, ctx, {
          type: 'usage.pruned',
          accountId: null,
          resourceType: 'usage',
          resourceId: 'records',
          after: { before: cutoff, deleted },
        });
        return deleted;
      });
    },
  };
}

export type UsageService = ReturnType<typeof usageService>;

/** The id of a record that may be malformed, as far as it has one. */
function idOf(record: unknown): string {
  const id = (record as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : '';
}

async function lookUp(
  tx: Tx,
  principal: Principal,
  records: readonly UsageRecordInput[],
): Promise<Lookups> {
  const products = new Map<string, Product | undefined>();
  for (const ref of new Set(records.map((r) => r.product))) {
    products.set(ref, await findProduct(tx, productRef(ref)));
  }
  const instanceIds = new Set<string>();
  for (const r of records) {
    const id = r.instance ?? principal.instance;
    if (id !== undefined) instanceIds.add(id);
  }
  const instanceAccount = await instanceAccounts(tx, [...instanceIds]);
  const named = new Set<string>(instanceAccount.values());
  for (const r of records) if (r.account !== undefined) named.add(r.account);
  if (principal.accounts !== '*') for (const a of principal.accounts) named.add(a);
  return {
    products,
    instanceAccount,
    missingAccounts: new Set(await missingAccounts(tx, [...named])),
    instants: new Map(),
  };
}

/** `at` parsed and normalized to UTC, once per distinct text in the batch. */
function instantOf(lookups: Lookups, at: string): [number, string] {
  let instant = lookups.instants.get(at);
  if (instant === undefined) {
    const ms = Date.parse(at);
    instant = [ms, Number.isNaN(ms) ? at : new Date(ms).toISOString()];
    lookups.instants.set(at, instant);
  }
  return instant;
}

/**
 * The checks of one record, in order; every failing one is reported. The account comes from the
 * record, else its instance, else the token when it has exactly one account.
 */
function resolve(
  principal: Principal,
  input: UsageRecordInput,
  lookups: Lookups,
  now: Date,
  retentionDays: number,
): UsageRecord | { reasons: FieldIssue[] } {
  const [atMs, atIso] = instantOf(lookups, input.at);
  const reasons = checkUsageRecord(input, now, retentionDays, atMs);

  const instanceId = input.instance ?? principal.instance ?? null;
  let instanceAccount: string | undefined;
  if (principal.role === 'instance' && instanceId !== principal.instance) {
    reasons.push({
      name: 'instance',
      reason: 'an instance token reports for its own instance only',
    });
  } else if (instanceId !== null) {
    instanceAccount = lookups.instanceAccount.get(instanceId);
    if (instanceAccount === undefined || !canSeeAccount(principal, instanceAccount)) {
      reasons.push({ name: 'instance', reason: `no such instance: ${instanceId}` });
      instanceAccount = undefined;
    }
  }

  const single =
    principal.accounts !== '*' && principal.accounts.length === 1
      ? principal.accounts[0]
      : undefined;
  const accountId = input.account ?? instanceAccount ?? single;
  if (accountId === undefined) {
    reasons.push({
      name: 'account',
      reason: 'is required when neither the instance nor a single-account token implies it',
    });
  } else if (!canSeeAccount(principal, accountId) || lookups.missingAccounts.has(accountId)) {
    reasons.push({ name: 'account', reason: `no such account: ${accountId}` });
  } else if (instanceAccount !== undefined && instanceAccount !== accountId) {
    reasons.push({ name: 'instance', reason: `is not an instance of account ${accountId}` });
  }

  const product = lookups.products.get(input.product);
  if (product === undefined) {
    reasons.push({ name: 'product', reason: `no such product: ${input.product}` });
  } else if (input.metric !== undefined && !product.metrics.some((m) => m.id === input.metric)) {
    reasons.push({
      name: 'metric',
      reason: `product ${product.slug} has no metric ${String(input.metric)}`,
    });
  } else if (input.feature !== undefined && !product.features.some((f) => f.id === input.feature)) {
    reasons.push({
      name: 'feature',
      reason: `product ${product.slug} has no feature ${input.feature}`,
    });
  }

  if (reasons.length > 0 || accountId === undefined || product === undefined) return { reasons };
  return {
    accountId,
    id: input.id,
    instanceId,
    productId: product.id,
    measure: measureOf(input),
    kind: input.kind,
    value: input.value,
    at: atIso,
  };
}

function measureIssues(product: Product | undefined, query: UsageQuery): FieldIssue[] {
  if (product === undefined)
    return [{ name: 'product', reason: `no such product: ${query.product}` }];
  if ((query.metric === undefined) === (query.feature === undefined)) {
    return [{ name: 'metric', reason: 'give exactly one of metric and feature' }];
  }
  if (query.metric !== undefined && !product.metrics.some((m) => m.id === Number(query.metric))) {
    return [{ name: 'metric', reason: `product ${product.slug} has no metric ${query.metric}` }];
  }
  if (query.feature !== undefined && !product.features.some((f) => f.id === query.feature)) {
    return [{ name: 'feature', reason: `product ${product.slug} has no feature ${query.feature}` }];
  }
  return [];
}

/** The period asked for; by default the current UTC month. */
function periodOf(query: UsageQuery, now: Date): { from: string; to: string } {
  const issues: FieldIssue[] = [];
  const instant = (name: 'from' | 'to', value: string | undefined, fallback: Date) => {
    if (value === undefined) return fallback.toISOString();
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) {
      issues.push({ name, reason: 'is not a valid date or date-time' });
      return fallback.toISOString();
    }
    return new Date(ms).toISOString();
  };
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const period = {
    from: instant('from', query.from, monthStart),
    to: instant('to', query.to, nextMonth),
  };
  const granularity = query.granularity ?? 'day';
  const length = periodLengthDays(period);
  if (issues.length === 0 && length < 1) {
    issues.push({ name: 'to', reason: 'must be at least one UTC day after from' });
  } else if (length > MAX_SERIES_DAYS[granularity]) {
    issues.push({
      name: 'to',
      reason: `the period may span at most ${String(MAX_SERIES_DAYS[granularity])} days at ${granularity} granularity`,
    });
  }
  if (issues.length > 0) throw new InvalidParams(issues);
  return period;
}
