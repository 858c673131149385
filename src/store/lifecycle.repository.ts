import type { OverallStatus } from '../domain/compliance.js';
import type { ExpiryMark } from '../domain/lifecycle.js';
import type { LicenseTerm } from '../domain/license.js';
import type { SubscriptionTerms } from '../domain/subscription.js';
import type { Executor } from './database.js';

/**
 * The lifecycle jobs' reads and marks. Scans are keyset-paged on the `(expires_at, id)` and
 * `(expires_at, number)` indexes, a bounded batch per query, and skip resources whose mark for
 * their expiry as stored is already written (an anti-join on `lifecycle_marks`). Time bounds are
 * coarse (a day of slack each side): stored dates may carry offsets or no milliseconds, so they
 * do not compare as text to the instant; the domain decides precisely.
 */

export interface ScanWindow {
  /** Only expiries after this (ISO); null: from the first. */
  after: string | null;
  /** Only expiries at or before this (ISO); null: to the last. */
  until: string | null;
  /** Skip resources that have this mark for their stored expiry. */
  unmarked: ExpiryMark | 'final';
  limit: number;
  /** Only this account's resources (licenses only). */
  accountId?: string;
}

export interface LicenseExpiry {
  id: string;
  accountId: string;
  productId: number | null;
  term: LicenseTerm;
  expiresAt: string;
  graceDays: number;
}

export interface LicenseCursor {
  expiresAt: string;
  id: string;
}

/** Marks a resource may already have, as `mark|occurrence`, by resource id. */
export type MarkIndex = Map<string, Set<string>>;

export const markKey = (mark: string, occurrence: string) => `${mark}|${occurrence}`;

/**
 * Licenses that are usable by state (`active`, `inactive`: the states whose status turns
 * `expired`) with an expiry in the window and without the mark, after the cursor.
 */
export async function licenseExpiries(
  db: Executor,
  window: ScanWindow,
  cursor: LicenseCursor | null,
): Promise<LicenseExpiry[]> {
  const mark = window.unmarked === 'final' ? 'grace_ended' : window.unmarked;
  let query = db
    .selectFrom('licenses as l')
    .select(['l.id', 'l.account_id', 'l.product_id', 'l.term', 'l.expires_at', 'l.grace_days'])
    .where('l.expires_at', 'is not', null)
    .where('l.state', 'in', ['active', 'inactive'])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('lifecycle_marks as m')
            .select('m.mark')
            .where('m.resource_type', '=', 'license')
            .whereRef('m.resource_id', '=', 'l.id')
            .where('m.mark', '=', mark)
            .whereRef('m.source', '=', 'l.expires_at'),
        ),
      ),
    );
  if (window.accountId !== undefined) query = query.where('l.account_id', '=', window.accountId);
  if (window.after !== null) query = query.where('l.expires_at', '>', window.after);
  if (window.until !== null) query = query.where('l.expires_at', '<=', window.until);
  if (cursor !== null) {
    query = query.where((eb) =>
      eb.or([
        eb('l.expires_at', '>', cursor.expiresAt),
        eb.and([eb('l.expires_at', '=', cursor.expiresAt), eb('l.id', '>', cursor.id)]),
      ]),
    );
  }
  const rows = await query.orderBy('l.expires_at').orderBy('l.id').limit(window.limit).execute();
  return rows.map((row) => ({
    id: row.id,
    accountId: row.account_id,
    productId: row.product_id,
    term: row.term as LicenseTerm,
    expiresAt: row.expires_at ?? '',
    graceDays: row.grace_days,
  }));
}

export interface SubscriptionExpiry {
  id: string;
  number: number;
  /** The billed (first) account. */
  accountId: string | null;
  terms: SubscriptionTerms;
  expiresAt: string;
  gracePeriod: number;
  reminderBeforePeriod: number;
  periodStart: string;
}

export interface SubscriptionCursor {
  expiresAt: string;
  number: number;
}

/**
 * Active subscriptions with an expiry in the window and without the mark, after the cursor.
 * `final` is the last mark of an expiry: `grace_ended`, or `expired` when the grace never ends
 * (`grace_period` -1).
 */
export async function subscriptionExpiries(
  db: Executor,
  window: ScanWindow,
  cursor: SubscriptionCursor | null,
): Promise<SubscriptionExpiry[]> {
  let query = db
    .selectFrom('subscriptions as s')
    .select((eb) => [
      's.id',
      's.number',
      's.terms',
      's.expires_at',
      's.grace_period',
      's.reminder_before_period',
      's.period_start',
      eb
        .selectFrom('subscription_accounts as sa')
        .select('sa.account_id')
        .whereRef('sa.subscription_id', '=', 's.id')
        .where('sa.position', '=', 0)
        .as('account_id'),
    ])
    .where('s.expires_at', 'is not', null)
    .where('s.status', '=', 'active')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('lifecycle_marks as m')
            .select('m.mark')
            .where('m.resource_type', '=', 'subscription')
            .whereRef('m.resource_id', '=', 's.id')
            .where(
              'm.mark',
              '=',
              window.unmarked === 'final'
                ? eb.case().when('s.grace_period', '<', 0).then('expired').else('grace_ended').end()
                : eb.val(window.unmarked),
            )
            .whereRef('m.source', '=', 's.expires_at'),
        ),
      ),
    );
  if (window.after !== null) query = query.where('s.expires_at', '>', window.after);
  if (window.until !== null) query = query.where('s.expires_at', '<=', window.until);
  if (cursor !== null) {
    query = query.where((eb) =>
      eb.or([
        eb('s.expires_at', '>', cursor.expiresAt),
        eb.and([eb('s.expires_at', '=', cursor.expiresAt), eb('s.number', '>', cursor.number)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('s.expires_at')
    .orderBy('s.number')
    .limit(window.limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    number: row.number,
    accountId: row.account_id,
    terms: row.terms as SubscriptionTerms,
    expiresAt: row.expires_at ?? '',
    gracePeriod: row.grace_period,
    reminderBeforePeriod: row.reminder_before_period,
    periodStart: row.period_start,
  }));
}

/** The marks these resources already have, as `markKey(mark, occurrence)` per resource id. */
export async function marksOf(
  db: Executor,
  resourceType: string,
  ids: readonly string[],
): Promise<MarkIndex> {
  const index: MarkIndex = new Map();
  if (ids.length === 0) return index;
  const rows = await db
    .selectFrom('lifecycle_marks')
    .select(['resource_id', 'mark', 'occurrence'])
    .where('resource_type', '=', resourceType)
    .where('resource_id', 'in', [...ids])
    .execute();
  for (const row of rows) {
    const marks = index.get(row.resource_id) ?? new Set<string>();
    marks.add(markKey(row.mark, row.occurrence));
    index.set(row.resource_id, marks);
  }
  return index;
}

/**
 * Writes a mark unless it is there: true when this call wrote it. The primary key makes this
 * the one place that decides, whatever number of passes race for it.
 */
export async function insertMark(
  db: Executor,
  mark: {
    resourceType: string;
    resourceId: string;
    mark: string;
    occurrence: string;
    source: string | null;
    at: string;
  },
): Promise<boolean> {
  const result = await db
    .insertInto('lifecycle_marks')
    .values({
      resource_type: mark.resourceType,
      resource_id: mark.resourceId,
      mark: mark.mark,
      occurrence: mark.occurrence,
      source: mark.source,
      at: mark.at,
    })
    .onConflict((oc) =>
      oc.columns(['resource_type', 'resource_id', 'mark', 'occurrence']).doNothing(),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * The accounts whose settings name a license reminder window (`settings.reminderDays`), with it.
 * Read page by page; the text match only narrows, the JSON decides.
 */
export async function accountReminderWindows(
  db: Executor,
  limit: number,
): Promise<Map<string, number>> {
  const windows = new Map<string, number>();
  let after: string | null = null;
  for (;;) {
    let query = db
      .selectFrom('accounts')
      .select(['id', 'settings'])
      .where('settings', 'like', '%"reminderDays"%');
    if (after !== null) query = query.where('id', '>', after);
    const rows = await query.orderBy('id').limit(limit).execute();
    for (const row of rows) {
      const days = (JSON.parse(row.settings) as { reminderDays?: unknown }).reminderDays;
      if (typeof days === 'number') windows.set(row.id, days);
    }
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < limit) return windows;
    after = last.id;
  }
}

/** A page of account ids after `after`, in id order. */
export async function accountIdsAfter(
  db: Executor,
  after: string | null,
  limit: number,
): Promise<string[]> {
  let query = db.selectFrom('accounts').select('id');
  if (after !== null) query = query.where('id', '>', after);
  const rows = await query.orderBy('id').limit(limit).execute();
  return rows.map((row) => row.id);
}

/** The last compliance level stored for each of these accounts. */
export async function complianceLevelsOf(
  db: Executor,
  accountIds: readonly string[],
): Promise<Map<string, OverallStatus>> {
  if (accountIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('compliance_levels')
    .select(['account_id', 'level'])
    .where('account_id', 'in', [...accountIds])
    .execute();
  return new Map(rows.map((row) => [row.account_id, row.level as OverallStatus]));
}

/**
 * Moves an account's stored level from `expected` (null: none stored) to `level`; false when
 * the stored level is not `expected` any more (another pass recorded the change first).
 */
export async function swapComplianceLevel(
  db: Executor,
  accountId: string,
  expected: OverallStatus | null,
  level: OverallStatus,
  at: string,
): Promise<boolean> {
  if (expected === null) {
    const inserted = await db
      .insertInto('compliance_levels')
      .values({ account_id: accountId, level, at })
      .onConflict((oc) => oc.column('account_id').doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
  }
  const updated = await db
    .updateTable('compliance_levels')
    .set({ level, at })
    .where('account_id', '=', accountId)
    .where('level', '=', expected)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}
