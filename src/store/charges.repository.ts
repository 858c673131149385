import type { CollectionSpec, ListQuery } from '../domain/query.js';
import type { Charge, ChargeLine, ChargeStatus } from '../domain/subscription.js';
import type { Executor } from './database.js';
import { listPage, type Page } from './list.js';
import type { ChargesTable } from './schema.js';

export const chargesCollection: CollectionSpec = {
  name: 'charges',
  fields: {
    id: { type: 'string', column: 'id' },
    subscriptionId: { type: 'string', column: 'subscription_id' },
    accountId: { type: 'string', column: 'account_id' },
    status: { type: 'string', column: 'status' },
    amountMicros: { type: 'integer', column: 'amount_micros' },
    currency: { type: 'string', column: 'currency' },
    periodStart: { type: 'timestamp', column: 'period_start' },
    periodEnd: { type: 'timestamp', column: 'period_end' },
    createdAt: { type: 'timestamp', column: 'created_at' },
    voidedAt: { type: 'timestamp', column: 'voided_at', nullable: true },
  },
  key: 'id',
  defaultOrder: [{ field: 'createdAt', direction: 'asc' }],
  includable: [
    'id',
    'subscriptionId',
    'accountId',
    'amountMicros',
    'currency',
    'breakdown',
    'periodStart',
    'periodEnd',
    'status',
    'createdAt',
    'voidedAt',
  ],
  defaultLimit: 100,
  maxLimit: 1000,
};

function toCharge(row: ChargesTable): Charge {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    accountId: row.account_id,
    amountMicros: row.amount_micros,
    currency: 'USD',
    breakdown: JSON.parse(row.breakdown) as ChargeLine[],
    periodStart: row.period_start,
    periodEnd: row.period_end,
    status: row.status as ChargeStatus,
    createdAt: row.created_at,
    voidedAt: row.voided_at,
  };
}

export async function insertCharge(db: Executor, charge: Charge): Promise<void> {
  await db
    .insertInto('charges')
    .values({
      id: charge.id,
      subscription_id: charge.subscriptionId,
      account_id: charge.accountId,
      amount_micros: charge.amountMicros,
      currency: charge.currency,
      breakdown: JSON.stringify(charge.breakdown),
      period_start: charge.periodStart,
      period_end: charge.periodEnd,
      status: charge.status,
      created_at: charge.createdAt,
      voided_at: charge.voidedAt,
    })
    .execute();
}

/** Voids the pending charges of a subscription; returns the charges as they were. */
export async function voidPendingCharges(
  db: Executor,
  subscriptionId: string,
  at: string,
): Promise<Charge[]> {
  const pending = await db
    .selectFrom('charges')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .where('status', '=', 'pending')
    .execute();
  if (pending.length === 0) return [];
  await db
    .updateTable('charges')
    .set({ status: 'void', voided_at: at })
    .where('subscription_id', '=', subscriptionId)
    .where('status', '=', 'pending')
    .execute();
  return pending.map(toCharge);
}

export async function listCharges(
  db: Executor,
  of: { subscriptionId: string } | { accountId: string },
  query: ListQuery,
): Promise<Page<Charge>> {
  const base = db.selectFrom('charges').selectAll();
  const scoped =
    'subscriptionId' in of
      ? base.where('subscription_id', '=', of.subscriptionId)
      : base.where('account_id', '=', of.accountId);
  const page = await listPage(scoped, chargesCollection, query);
  return { ...page, rows: page.rows.map(toCharge) };
}
