import type { OverallStatus } from '../domain/compliance.js';
import {
  complianceChange,
  dueExpiryMarks,
  graceEndsAt,
  licenseExpiryFacts,
  overageMark,
  overagePeriod,
  overages,
  periodClosedByExpiry,
  subscriptionExpiryFacts,
  type DueMark,
  type ExpiryFacts,
  type ExpiryMark,
} from '../domain/lifecycle.js';
import { NotFound } from '../domain/errors.js';
import { DEFAULT_REMINDER_DAYS } from '../domain/license.js';
import { requireRole } from '../domain/principal.js';
import type { SubscriptionRecord } from '../domain/subscription.js';
import type { Executor, Store, Tx } from '../store/database.js';
import {
  accountIdsAfter,
  accountReminderWindows,
  complianceLevelsOf,
  insertMark,
  licenseExpiries,
  marksOf,
  markKey,
  subscriptionExpiries,
  swapComplianceLevel,
  type LicenseExpiry,
  type MarkIndex,
  type ScanWindow,
  type SubscriptionExpiry,
} from '../store/lifecycle.repository.js';
import { findSubscription, updateSubscription } from '../store/subscriptions.repository.js';
import { recordChange } from './audit.js';
import type { ComplianceService } from './compliance.js';
import type { ServiceContext } from './context.js';
import type { subscriptionService } from './subscriptions.js';

const DAY_MS = 86_400_000;
/** Rows per scan query: a pass never holds more than this many resources at once. */
export const LIFECYCLE_BATCH = 500;

export interface LifecycleDeps {
  compliance: ComplianceService;
  /** Writes the pending charge of a period: the subscription service's own charge. */
  subscriptions: Pick<ReturnType<typeof subscriptionService>, 'chargePeriod'>;
}

/** The due marks of one resource and how to describe each in its event. */
interface MarkWork {
  resource: { type: string; id: string; expiresAt: string };
  due: readonly DueMark[];
  event: (mark: DueMark, tx: Tx) => Promise<{ accountId: string | null; after: unknown }>;
}

export interface ExpiryCounts {
  expiring: number;
  expired: number;
  graceEnded: number;
}

/**
 * The time-driven lifecycle: expiry reminders, expiries and ends of grace of licenses and
 * subscriptions, the charge of a subscription period its expiry closes, usage overages and
 * changes of an account's compliance level. Each verb is one pass of a scheduled job (see
 * src/jobs/ and docs/jobs.md): it scans in keyset batches, and records each event in the same
 * transaction as the mark that makes it happen once.
 */
export function lifecycleService(store: Store, deps: LifecycleDeps, batch = LIFECYCLE_BATCH) {
  /**
   * Writes the due marks each resource does not have yet, each with its event, all in one
   * transaction (a batch of licenses commits once). `event` runs after its mark was written by
   * this transaction, and may write more in it (the charge of an expired period).
   */
  async function recordMarks(
    ctx: ServiceContext,
    useCase: string,
    work: readonly MarkWork[],
  ): Promise<ExpiryMark[]> {
    const pending = work.filter((item) => item.due.length > 0);
    if (pending.length === 0) return [];
    const at = ctx.clock.now().toISOString();
    return store.transaction(useCase, async (tx) => {
      const written: ExpiryMark[] = [];
      for (const { resource, due, event } of pending) {
        for (const mark of due) {
          const fresh = await insertMark(tx, {
            resourceType: resource.type,
            resourceId: resource.id,
            mark: mark.kind,
            occurrence: mark.occurrence,
            source: resource.expiresAt,
            at,
          });
          if (!fresh) continue;
          const { accountId, after } = await event(mark, tx);
          await recordChange(tx, ctx, {
            // `license.expired`, `subscription.grace_ended`, …
            type: `${resource.type}.${mark.kind}`,
            accountId,
            resourceType: resource.type,
            resourceId: resource.id,
            after,
          });
          written.push(mark.kind);
        }
      }
      return written;
    });
  }

  function notYet(due: readonly DueMark[], have: MarkIndex, id: string, kinds: ExpiryMark[]) {
    const marks = have.get(id);
    return due.filter(
      (mark) =>
        kinds.includes(mark.kind) && marks?.has(markKey(mark.kind, mark.occurrence)) !== true,
    );
  }

  function count(into: ExpiryCounts, kinds: readonly ExpiryMark[]): void {
    for (const kind of kinds) {
      if (kind === 'expiring') into.expiring++;
      else if (kind === 'expired') into.expired++;
      else into.graceEnded++;
    }
  }

  /**
   * Visits the resources a scan finds, a page at a time (keyset by expiry), each page with the
   * marks its resources already have.
   */
  async function eachPage<Row extends { id: string }, Cursor>(
    resourceType: 'license' | 'subscription',
    page: (db: Executor, cursor: Cursor | null) => Promise<Row[]>,
    cursorOf: (last: Row) => Cursor,
    limit: number,
    visit: (rows: Row[], have: MarkIndex) => Promise<void>,
  ): Promise<void> {
    let cursor: Cursor | null = null;
    for (;;) {
      const after = cursor;
      const rows = await store.read((db) => page(db, after));
      if (rows.length === 0) return;
      const have = await store.read((db) =>
        marksOf(
          db,
          resourceType,
          rows.map((row) => row.id),
        ),
      );
      await visit(rows, have);
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < limit) return;
      cursor = cursorOf(last);
    }
  }

  function eachLicense(
    window: ScanWindow,
    visit: (rows: LicenseExpiry[], have: MarkIndex) => Promise<void>,
  ): Promise<void> {
    return eachPage(
      'license',
      (db, cursor: { expiresAt: string; id: string } | null) => licenseExpiries(db, window, cursor),
      (last) => ({ expiresAt: last.expiresAt, id: last.id }),
      window.limit,
      visit,
    );
  }

  function eachSubscription(
    window: ScanWindow,
    visit: (rows: SubscriptionExpiry[], have: MarkIndex) => Promise<void>,
  ): Promise<void> {
    return eachPage(
      'subscription',
      (db, cursor: { expiresAt: string; number: number } | null) =>
        subscriptionExpiries(db, window, cursor),
      (last) => ({ expiresAt: last.expiresAt, number: last.number }),
      window.limit,
      visit,
    );
  }

  function licenseEvent(license: LicenseExpiry, facts: ExpiryFacts, mark: DueMark) {
    const base = {
      productId: license.productId,
      term: license.term,
      expiresAt: mark.occurrence,
      graceDays: license.graceDays,
    };
    return {
      accountId: license.accountId,
      after:
        mark.kind === 'expiring'
          ? { ...base, reminderDays: facts.reminderDays }
          : { ...base, graceEndsAt: graceEndsAt(facts) },
    };
  }

  /**
   * At the expiry of an active subscription, the period it closes is charged (once: this runs
   * only when the `expired` mark was written by this transaction) and the next period starts at
   * the expiry, so that a later cancellation charges only what follows.
   */
  async function closePeriod(
    tx: Tx,
    ctx: ServiceContext,
    id: string,
    occurrence: string,
  ): Promise<{ chargeId: string | null; periodStart: string | null }> {
    const current = await findSubscription(tx, id);
    if (current?.status !== 'active' || current.expiresAt === null) {
      return { chargeId: null, periodStart: null };
    }
    if (new Date(Date.parse(current.expiresAt)).toISOString() !== occurrence) {
      return { chargeId: null, periodStart: null };
    }
    const period = periodClosedByExpiry(current);
    if (period === null) return { chargeId: null, periodStart: current.periodStart };
    const charge = await deps.subscriptions.chargePeriod(tx, ctx, current, period.to);
    const next: SubscriptionRecord = {
      ...current,
      periodStart: period.to,
      modifiedAt: ctx.clock.now().toISOString(),
      modifiedBy: ctx.principal.subject,
      revision: current.revision + 1,
    };
    // In the same transaction as the read: a concurrent change makes this throw and roll the
    // mark back with it, and the next pass tries again.
    if (!(await updateSubscription(tx, next, current.revision, false))) {
      throw new Error(`subscription ${id} changed while its expired period was charged`);
    }
    return { chargeId: charge.id, periodStart: period.to };
  }

  return {
    /**
     * Records `license.expired` when an active or inactive license passes its expiry and
     * `license.grace_ended` when its grace ends (both at once when it has none), once per expiry.
     */
    async licenseExpiry(ctx: ServiceContext): Promise<Omit<ExpiryCounts, 'expiring'>> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now();
      const counts: ExpiryCounts = { expiring: 0, expired: 0, graceEnded: 0 };
      const window: ScanWindow = {
        after: null,
        until: new Date(now.getTime() + DAY_MS).toISOString(),
        unmarked: 'final',
        limit: batch,
      };
      await eachLicense(window, async (rows, have) => {
        const work = rows.map((license): MarkWork => {
          const facts = licenseExpiryFacts(license);
          return {
            resource: { type: 'license', id: license.id, expiresAt: license.expiresAt },
            due: notYet(dueExpiryMarks(facts, now), have, license.id, ['expired', 'grace_ended']),
            event: (mark) => Promise.resolve(licenseEvent(license, facts, mark)),
          };
        });
        count(counts, await recordMarks(ctx, 'lifecycle.license-expiry', work));
      });
      return { expired: counts.expired, graceEnded: counts.graceEnded };
    },

    /**
     * Records `subscription.expired` when an active subscription passes its expiry, charging the
     * period the expiry closes, and `subscription.grace_ended` when its grace period ends (never
     * when it is -1), once per expiry.
     */
    async subscriptionExpiry(
      ctx: ServiceContext,
    ): Promise<Omit<ExpiryCounts, 'expiring'> & { charged: number }> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now();
      const counts: ExpiryCounts = { expiring: 0, expired: 0, graceEnded: 0 };
      let charged = 0;
      const window: ScanWindow = {
        after: null,
        until: new Date(now.getTime() + DAY_MS).toISOString(),
        unmarked: 'final',
        limit: batch,
      };
      await eachSubscription(window, async (rows, have) => {
        for (const subscription of rows) {
          const facts = subscriptionExpiryFacts(subscription);
          const due = notYet(dueExpiryMarks(facts, now), have, subscription.id, [
            'expired',
            'grace_ended',
          ]);
          // One transaction per subscription: its expiry may write a charge.
          const written = await recordMarks(ctx, 'lifecycle.subscription-expiry', [
            {
              resource: {
                type: 'subscription',
                id: subscription.id,
                expiresAt: subscription.expiresAt,
              },
              due,
              event: async (mark, tx) => {
                const after = {
                  terms: subscription.terms,
                  expiresAt: mark.occurrence,
                  gracePeriod: subscription.gracePeriod,
                  graceEndsAt: graceEndsAt(facts),
                };
                if (mark.kind !== 'expired') return { accountId: subscription.accountId, after };
                const closed = await closePeriod(tx, ctx, subscription.id, mark.occurrence);
                if (closed.chargeId !== null) charged++;
                return { accountId: subscription.accountId, after: { ...after, ...closed } };
              },
            },
          ]);
          count(counts, written);
        }
      });
      return { expired: counts.expired, graceEnded: counts.graceEnded, charged };
    },

    /**
     * Records `license.expiring` / `subscription.expiring` once per expiry, when the expiry is
     * within the reminder window and not yet reached: the account's `settings.reminderDays` for
     * licenses (default 30, when `validity.aboutToExpire` turns true), `reminderBeforePeriod`
     * days for subscriptions.
     */
    async reminders(ctx: ServiceContext): Promise<{ licenses: number; subscriptions: number }> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now();
      const from = new Date(now.getTime() - DAY_MS).toISOString();
      const licenses: ExpiryCounts = { expiring: 0, expired: 0, graceEnded: 0 };
      const windows = await store.read((db) => accountReminderWindows(db, batch));
      const remind = (window: ScanWindow) =>
        eachLicense(window, async (rows, have) => {
          const work = rows.map((license): MarkWork => {
            const facts = licenseExpiryFacts(license, windows.get(license.accountId) ?? null);
            return {
              resource: { type: 'license', id: license.id, expiresAt: license.expiresAt },
              due: notYet(dueExpiryMarks(facts, now), have, license.id, ['expiring']),
              event: (mark) => Promise.resolve(licenseEvent(license, facts, mark)),
            };
          });
          count(licenses, await recordMarks(ctx, 'lifecycle.license-reminder', work));
        });
      const until = (days: number) => new Date(now.getTime() + (days + 1) * DAY_MS).toISOString();
      await remind({
        after: from,
        until: until(DEFAULT_REMINDER_DAYS),
        unmarked: 'expiring',
        limit: batch,
      });
      // Accounts with a longer window than the default: their own scan, on their own index.
      for (const [accountId, days] of windows) {
        if (days <= DEFAULT_REMINDER_DAYS) continue;
        await remind({
          accountId,
          after: from,
          until: until(days),
          unmarked: 'expiring',
          limit: batch,
        });
      }
      // A subscription's window is its own (up to years): every active subscription not yet
      // reminded of its coming expiry is looked at; subscriptions are far fewer than licenses.
      const subscriptions: ExpiryCounts = { expiring: 0, expired: 0, graceEnded: 0 };
      await eachSubscription(
        { after: from, until: null, unmarked: 'expiring', limit: batch },
        async (rows, have) => {
          const work = rows.map((subscription): MarkWork => {
            const facts = subscriptionExpiryFacts(subscription);
            return {
              resource: {
                type: 'subscription',
                id: subscription.id,
                expiresAt: subscription.expiresAt,
              },
              due: notYet(dueExpiryMarks(facts, now), have, subscription.id, ['expiring']),
              event: (mark) =>
                Promise.resolve({
                  accountId: subscription.accountId,
                  after: {
                    terms: subscription.terms,
                    expiresAt: mark.occurrence,
                    reminderDays: facts.reminderDays,
                  },
                }),
            };
          });
          count(subscriptions, await recordMarks(ctx, 'lifecycle.subscription-reminder', work));
        },
      );
      return { licenses: licenses.expiring, subscriptions: subscriptions.expiring };
    },

    /**
     * Reads every account's compliance summary (the compliance service's, unchanged) and records
     * `usage.overage` once per account × product × metric × UTC month in which consumption
     * exceeds the entitlement, and `compliance.changed` when the overall level differs from the
     * last one stored for the account.
     */
    async watchCompliance(
      ctx: ServiceContext,
    ): Promise<{ accounts: number; overages: number; changes: number }> {
      requireRole(ctx.principal, ['operator']);
      const counts = { accounts: 0, overages: 0, changes: 0 };
      let after: string | null = null;
      for (;;) {
        const ids = await store.read((db) => accountIdsAfter(db, after, batch));
        if (ids.length === 0) break;
        const levels = await store.read((db) => complianceLevelsOf(db, ids));
        const have = await store.read((db) => marksOf(db, 'account', ids));
        for (const accountId of ids) {
          const summary = await deps.compliance.account(ctx, accountId).catch((error: unknown) => {
            // An account deleted since the page was read has nothing to watch.
            if (error instanceof NotFound) return null;
            throw error;
          });
          if (summary === null) continue;
          counts.accounts++;
          const now = ctx.clock.now();
          const period = overagePeriod(now);
          const over = overages(summary).filter(
            (o) => have.get(accountId)?.has(markKey(overageMark(o), period)) !== true,
          );
          const stored: OverallStatus | null = levels.get(accountId) ?? null;
          const change = complianceChange(stored, summary.overallComplianceStatus);
          if (over.length === 0 && change === null && stored !== null) continue;
          await store.transaction('lifecycle.compliance', async (tx) => {
            const at = now.toISOString();
            for (const overage of over) {
              const fresh = await insertMark(tx, {
                resourceType: 'account',
                resourceId: accountId,
                mark: overageMark(overage),
                occurrence: period,
                source: null,
                at,
              });
              if (!fresh) continue;
              await recordChange(tx, ctx, {
                type: 'usage.overage',
                accountId,
                resourceType: 'usage',
                resourceId: accountId,
                after: { ...overage, period },
              });
              counts.overages++;
            }
            if (change === null) {
              // Keep the stored level of a first VALID observation, so a later change has a
              // `before`.
              if (stored === null) await swapComplianceLevel(tx, accountId, null, 'VALID', at);
              return;
            }
            if (await swapComplianceLevel(tx, accountId, stored, change.after, at)) {
              await recordChange(tx, ctx, {
                type: 'compliance.changed',
                accountId,
                resourceType: 'compliance',
                resourceId: accountId,
                before: { level: change.before },
                after: { level: change.after },
              });
              counts.changes++;
            }
          });
        }
        const last = ids[ids.length - 1];
        if (last === undefined || ids.length < batch) break;
        after = last;
      }
      return counts;
    },
  };
}

export type LifecycleService = ReturnType<typeof lifecycleService>;
