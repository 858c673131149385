import type { ExpressionBuilder } from 'kysely';
import type { CollectionSpec, Condition, ListQuery } from '../domain/query.js';
import type {
  Label,
  Marketplace,
  OnboardStatus,
  PaymentAddress,
  SubscriptionRecord,
  SubscriptionStatus,
  SubscriptionTerms,
} from '../domain/subscription.js';
import type { Executor } from './database.js';
import { listPage, type Page } from './list.js';
import type { Database, SubscriptionsTable } from './schema.js';

/**
 * Subscriptions and the accounts they belong to. `accountId` filters through an EXISTS on
 * `subscription_accounts` (a subscription has one or more accounts), so it filters but does not
 * sort.
 */
export const subscriptionsCollection: CollectionSpec = {
  name: 'subscriptions',
  fields: {
    id: { type: 'string', column: 'subscriptions.id' },
    subscriptionNumber: { type: 'integer', column: 'number' },
    accountId: { type: 'string', column: 'account_id', sortable: false },
    terms: { type: 'string', column: 'terms' },
    status: { type: 'string', column: 'status' },
    marketplace: { type: 'string', column: 'marketplace', nullable: true },
    onboardStatus: { type: 'string', column: 'onboard_status' },
    licenseSN: { type: 'string', column: 'license_sn', nullable: true },
    purchaseOrderNumber: { type: 'string', column: 'purchase_order_number', nullable: true },
    version: { type: 'string', column: 'version' },
    appLimit: { type: 'integer', column: 'app_limit' },
    namespaceLimit: { type: 'integer', column: 'namespace_limit' },
    productId: { type: 'integer', column: 'product_id', nullable: true },
    createdAt: { type: 'timestamp', column: 'created_at' },
    'metadata.creationTimestamp': { type: 'timestamp', column: 'created_at' },
    modifiedAt: { type: 'timestamp', column: 'modified_at' },
    'metadata.modificationTimestamp': { type: 'timestamp', column: 'modified_at' },
    expiresAt: { type: 'timestamp', column: 'expires_at', nullable: true },
  },
  key: 'subscriptionNumber',
  defaultOrder: [{ field: 'subscriptionNumber', direction: 'asc' }],
  includable: [
    'type',
    'version',
    'id',
    'customerProfileID',
    'paymentProfileID',
    'paymentExpiry',
    'purchaseOrderNumber',
    'marketplace',
    'licenseSN',
    'terms',
    'status',
    'appLimit',
    'namespaceLimit',
    'subscriptionPeriod',
    'gracePeriod',
    'reminderBeforePeriod',
    'onboardStatus',
    'costPerAppUnit',
    'costPerNamespaceUnit',
    'metadata',
    'paymentFirstName',
    'paymentLastName',
    'paymentAddress',
    'subscriptionNumber',
    'accounts',
    'productId',
    'entitledCapacity',
    'capacityUnit',
    'expiresAt',
    'periodStart',
    'cancelledAt',
    'revision',
  ],
  defaultLimit: 100,
  maxLimit: 1000,
};

function toRecord(row: SubscriptionsTable, accounts: string[]): SubscriptionRecord {
  return {
    id: row.id,
    number: row.number,
    version: row.version as SubscriptionRecord['version'],
    accounts,
    customerProfileID: row.customer_profile_id,
    paymentProfileID: row.payment_profile_id,
    paymentFirstName: row.payment_first_name,
    paymentLastName: row.payment_last_name,
    paymentAddress:
      row.payment_address === null ? null : (JSON.parse(row.payment_address) as PaymentAddress),
    paymentExpiry: row.payment_expiry,
    purchaseOrderNumber: row.purchase_order_number,
    marketplace: row.marketplace as Marketplace | null,
    licenseSN: row.license_sn,
    terms: row.terms as SubscriptionTerms,
    status: row.status as SubscriptionStatus,
    appLimit: row.app_limit,
    namespaceLimit: row.namespace_limit,
    subscriptionPeriod: row.subscription_period,
    gracePeriod: row.grace_period,
    reminderBeforePeriod: row.reminder_before_period,
    onboardStatus: row.onboard_status as OnboardStatus,
    costPerAppUnitMicros: row.cost_per_app_unit_micros,
    costPerNamespaceUnitMicros: row.cost_per_namespace_unit_micros,
    labels: JSON.parse(row.labels) as Label[],
    createdAt: row.created_at,
    createdBy: row.created_by,
    modifiedAt: row.modified_at,
    modifiedBy: row.modified_by,
    revision: row.revision,
    productId: row.product_id,
    entitledCapacity: row.entitled_capacity,
    capacityUnit: row.capacity_unit as SubscriptionRecord['capacityUnit'],
    expiresAt: row.expires_at,
    periodStart: row.period_start,
    cancelledAt: row.cancelled_at,
  };
}

function toRow(record: SubscriptionRecord): SubscriptionsTable {
  return {
    id: record.id,
    number: record.number,
    version: record.version,
    customer_profile_id: record.customerProfileID,
    payment_profile_id: record.paymentProfileID,
    payment_first_name: record.paymentFirstName,
    payment_last_name: record.paymentLastName,
    payment_address: record.paymentAddress === null ? null : JSON.stringify(record.paymentAddress),
    payment_expiry: record.paymentExpiry,
    purchase_order_number: record.purchaseOrderNumber,
    marketplace: record.marketplace,
    license_sn: record.licenseSN,
    terms: record.terms,
    status: record.status,
    app_limit: record.appLimit,
    namespace_limit: record.namespaceLimit,
    subscription_period: record.subscriptionPeriod,
    grace_period: record.gracePeriod,
    reminder_before_period: record.reminderBeforePeriod,
    onboard_status: record.onboardStatus,
    cost_per_app_unit_micros: record.costPerAppUnitMicros,
    cost_per_namespace_unit_micros: record.costPerNamespaceUnitMicros,
    labels: JSON.stringify(record.labels),
    created_at: record.createdAt,
    created_by: record.createdBy,
    modified_at: record.modifiedAt,
    modified_by: record.modifiedBy,
    revision: record.revision,
    product_id: record.productId,
    entitled_capacity: record.entitledCapacity,
    capacity_unit: record.capacityUnit,
    expires_at: record.expiresAt,
    period_start: record.periodStart,
    cancelled_at: record.cancelledAt,
  };
}

/** The accounts of each subscription, in their order (the first is billed). */
async function accountsOf(db: Executor, ids: readonly string[]): Promise<Map<string, string[]>> {
  const byId = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return byId;
  const rows = await db
    .selectFrom('subscription_accounts')
    .select(['subscription_id', 'account_id'])
    .where('subscription_id', 'in', [...ids])
    .orderBy('subscription_id')
    .orderBy('position')
    .execute();
  for (const row of rows) byId.get(row.subscription_id)?.push(row.account_id);
  return byId;
}

/** Rows with at least one account in the scope (null: every row). */
function inScope(
  eb: ExpressionBuilder<Database, 'subscriptions'>,
  scope: readonly string[],
  op: '=' | 'in' = 'in',
) {
  return eb.exists(
    eb
      .selectFrom('subscription_accounts as sa')
      .select('sa.account_id')
      .whereRef('sa.subscription_id', '=', 'subscriptions.id')
      .where('sa.account_id', op, op === 'in' ? [...scope] : (scope[0] ?? '')),
  );
}

const ACCOUNT_OPERATORS = { eq: '=', ne: '<>', lt: '<', gt: '>', lte: '<=', gte: '>=' } as const;

export async function findSubscription(
  db: Executor,
  id: string,
): Promise<SubscriptionRecord | undefined> {
  const row = await db
    .selectFrom('subscriptions')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return toRecord(row, (await accountsOf(db, [id])).get(id) ?? []);
}

/**
 * A page of the subscriptions that share an account with `scope`. `accountId eq 'a'` means "a is
 * one of its accounts" and `accountId ne 'a'` "a is not one of them".
 */
export async function listSubscriptions(
  db: Executor,
  scope: readonly string[] | null,
  query: ListQuery,
): Promise<Page<SubscriptionRecord>> {
  let base = db.selectFrom('subscriptions').selectAll('subscriptions');
  if (scope !== null) base = base.where((eb) => inScope(eb, scope.length > 0 ? scope : ['']));
  const accountConditions: Condition[] = [];
  const rest: Condition[] = [];
  for (const condition of query.filter)
    (condition.field === 'accountId' ? accountConditions : rest).push(condition);
  for (const condition of accountConditions) {
    const value = String(condition.value ?? '');
    base =
      condition.op === 'ne'
        ? base.where((eb) => eb.not(inScope(eb, [value], '=')))
        : base.where((eb) =>
            eb.exists(
              eb
                .selectFrom('subscription_accounts as sa')
                .select('sa.account_id')
                .whereRef('sa.subscription_id', '=', 'subscriptions.id')
                .where('sa.account_id', ACCOUNT_OPERATORS[condition.op], value),
            ),
          );
  }
  const page = await listPage(base, subscriptionsCollection, { ...query, filter: rest });
  const accounts = await accountsOf(
    db,
    page.rows.map((row) => row.id),
  );
  return { ...page, rows: page.rows.map((row) => toRecord(row, accounts.get(row.id) ?? [])) };
}

/** Every subscription one of whose accounts is `accountId` (compliance reads them all). */
export async function subscriptionsOfAccount(
  db: Executor,
  accountId: string,
): Promise<SubscriptionRecord[]> {
  const rows = await db
    .selectFrom('subscriptions')
    .selectAll('subscriptions')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('subscription_accounts')
          .select('subscription_accounts.subscription_id')
          .whereRef('subscription_accounts.subscription_id', '=', 'subscriptions.id')
          .where('subscription_accounts.account_id', '=', accountId),
      ),
    )
    .execute();
  const accounts = await accountsOf(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => toRecord(row, accounts.get(row.id) ?? []));
}

export async function insertSubscription(db: Executor, record: SubscriptionRecord): Promise<void> {
  await db.insertInto('subscriptions').values(toRow(record)).execute();
  await setAccounts(db, record.id, record.accounts);
}

/**
 * Writes a changed subscription if it is still at `expectedRevision`; false when another change
 * got there first (the caller answers 409).
 */
export async function updateSubscription(
  db: Executor,
  record: SubscriptionRecord,
  expectedRevision: number,
  accountsChanged: boolean,
): Promise<boolean> {
  const { id, ...row } = toRow(record);
  const result = await db
    .updateTable('subscriptions')
    .set(row)
    .where('id', '=', id)
    .where('revision', '=', expectedRevision)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  if (accountsChanged) {
    await db.deleteFrom('subscription_accounts').where('subscription_id', '=', id).execute();
    await setAccounts(db, id, record.accounts);
  }
  return true;
}

async function setAccounts(db: Executor, id: string, accounts: readonly string[]): Promise<void> {
  await db
    .insertInto('subscription_accounts')
    .values(
      accounts.map((accountId, position) => ({
        subscription_id: id,
        account_id: accountId,
        position,
      })),
    )
    .execute();
}

export async function deleteSubscription(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('subscription_accounts').where('subscription_id', '=', id).execute();
  await db.deleteFrom('subscriptions').where('id', '=', id).execute();
}
