import type { AccountCompliance, OverallStatus } from './compliance.js';
import { DEFAULT_REMINDER_DAYS } from './license.js';

/**
 * The time-driven lifecycle of licenses and subscriptions: which dated moments ("marks") have
 * been reached at a clock reading, so that a scheduled pass can record each one exactly once.
 * Pure: the store keeps which marks were recorded (unique per resource × kind × occurrence);
 * these rules only say which are due.
 */

const DAY_MS = 86_400_000;

/** The dated moments of an expiry: the reminder, the expiry itself, the end of its grace. */
export const EXPIRY_MARKS = ['expiring', 'expired', 'grace_ended'] as const;
export type ExpiryMark = (typeof EXPIRY_MARKS)[number];

/** What the expiry marks of a license or subscription are computed from. */
export interface ExpiryFacts {
  /** As stored (any ISO-8601 date-time); null never expires. */
  expiresAt: string | null;
  /** Days of grace after the expiry; null: the grace never ends. */
  graceDays: number | null;
  /** The reminder is due this many days before the expiry; 0: no reminder. */
  reminderDays: number;
}

export interface DueMark {
  kind: ExpiryMark;
  /**
   * Which expiry the mark belongs to: the expiry instant in canonical form (`toISOString`). All
   * three marks of one expiry share it, so extending the expiry makes every mark due again.
   */
  occurrence: string;
  /** The instant the mark became due. */
  dueAt: string;
}

/**
 * The marks due at `now`, in the order they fall due. The reminder is due from `expiresAt −
 * reminderDays` until the expiry, never after (an expiry nobody was reminded of in time is
 * announced by `expired` alone); `expired` from `expiresAt` on; `grace_ended` from `expiresAt +
 * graceDays` on (at the expiry itself when graceDays is 0).
 *
 * @example
 *   dueExpiryMarks({ expiresAt: '2026-12-01T00:00:00Z', graceDays: 7, reminderDays: 30 }, new Date('2026-12-03T00:00:00Z'))
 *   // → [{ kind: 'expired', occurrence: '2026-12-01T00:00:00.000Z', dueAt: '2026-12-01T00:00:00.000Z' }]
 */
export function dueExpiryMarks(facts: ExpiryFacts, now: Date): DueMark[] {
  if (facts.expiresAt === null) return [];
  const expires = Date.parse(facts.expiresAt);
  if (Number.isNaN(expires)) return [];
  const at = now.getTime();
  const occurrence = new Date(expires).toISOString();
  const due: DueMark[] = [];
  const remindFrom = expires - facts.reminderDays * DAY_MS;
  if (facts.reminderDays > 0 && at >= remindFrom && at < expires) {
    due.push({ kind: 'expiring', occurrence, dueAt: new Date(remindFrom).toISOString() });
  }
  if (at >= expires) due.push({ kind: 'expired', occurrence, dueAt: occurrence });
  if (facts.graceDays !== null) {
    const graceEnds = expires + facts.graceDays * DAY_MS;
    if (at >= graceEnds) {
      due.push({ kind: 'grace_ended', occurrence, dueAt: new Date(graceEnds).toISOString() });
    }
  }
  return due;
}

/** When the grace after an expiry ends (null: never, or no expiry). */
export function graceEndsAt(facts: Pick<ExpiryFacts, 'expiresAt' | 'graceDays'>): string | null {
  if (facts.expiresAt === null || facts.graceDays === null) return null;
  return new Date(Date.parse(facts.expiresAt) + facts.graceDays * DAY_MS).toISOString();
}

/**
 * A license's expiry facts: its grace days, and the reminder window of its account
 * (`settings.reminderDays`), by default the 30 days of `validity.aboutToExpire`.
 */
export function licenseExpiryFacts(
  license: { expiresAt: string | null; graceDays: number },
  reminderDays: number | null = null,
): ExpiryFacts {
  return {
    expiresAt: license.expiresAt,
    graceDays: license.graceDays,
    reminderDays: reminderDays ?? DEFAULT_REMINDER_DAYS,
  };
}

/**
 * A subscription's expiry facts, read as compliance reads them: `gracePeriod` -1 is a grace
 * that never ends; `reminderBeforePeriod` -1 ("not applicable") is the default window.
 */
export function subscriptionExpiryFacts(subscription: {
  expiresAt: string | null;
  gracePeriod: number;
  reminderBeforePeriod: number;
}): ExpiryFacts {
  return {
    expiresAt: subscription.expiresAt,
    graceDays: subscription.gracePeriod < 0 ? null : subscription.gracePeriod,
    reminderDays:
      subscription.reminderBeforePeriod < 0
        ? DEFAULT_REMINDER_DAYS
        : subscription.reminderBeforePeriod,
  };
}

/**
 * The period a subscription's expiry closes, for its charge: from the period start to the
 * expiry, or null when the period started at or after the expiry (nothing to charge).
 */
export function periodClosedByExpiry(subscription: {
  periodStart: string;
  expiresAt: string | null;
}): { from: string; to: string } | null {
  if (subscription.expiresAt === null) return null;
  const to = Date.parse(subscription.expiresAt);
  if (Number.isNaN(to) || Date.parse(subscription.periodStart) >= to) return null;
  return { from: subscription.periodStart, to: new Date(to).toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Usage overage and compliance changes

/** An account × product × metric whose consumption exceeds what it is entitled to. */
export interface Overage {
  productId: number;
  metric: number;
  entitled: number;
  consumed: number;
  unit: string;
}

/**
 * The metrics over their entitlement in an account's compliance summary: consumed > entitled,
 * with entitled not unlimited (-1). Read from the summary itself, so an overage is exactly a
 * metric the compliance API shows as not compliant.
 */
export function overages(summary: AccountCompliance): Overage[] {
  return summary.products.flatMap((product) =>
    product.metrics
      .filter((metric) => metric.entitled >= 0 && metric.used > metric.entitled)
      .map((metric) => ({
        productId: product.productId,
        metric: metric.metricId,
        entitled: metric.entitled,
        consumed: metric.used,
        unit: metric.unit,
      })),
  );
}

/**
 * The overage period of an instant: its UTC calendar month (`2026-11`), the period whose deltas
 * the compliance summary counts. An overage is recorded once per metric and month.
 */
export function overagePeriod(now: Date): string {
  return now.toISOString().slice(0, 7);
}

/** The mark of an overage: one per product × metric (its occurrence is the month). */
export function overageMark(overage: Pick<Overage, 'productId' | 'metric'>): string {
  return `overage:${String(overage.productId)}:${String(overage.metric)}`;
}

/**
 * Whether an observed overall compliance level is a change to record, given the last level
 * stored for the account (null: never observed). A first observation is a change only when it
 * is not `VALID`: an account starts out compliant, and announcing every account as `VALID` on
 * the first pass would be noise.
 *
 * @example complianceChange('VALID', 'WARNING') // → { before: 'VALID', after: 'WARNING' }
 * @example complianceChange(null, 'VALID')      // → null
 */
export function complianceChange(
  stored: OverallStatus | null,
  observed: OverallStatus,
): { before: OverallStatus | null; after: OverallStatus } | null {
  if (stored === observed) return null;
  if (stored === null && observed === 'VALID') return null;
  return { before: stored, after: observed };
}
