import type { Kysely } from 'kysely';

/**
 * Subscriptions (the Astra resource plus BlueXP's number, accounts, capacity and expiry), the
 * accounts each belongs to, and the charges cancelling one computes. Money is INTEGER
 * micro-dollars; JSON is text.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('number', 'integer', (col) => col.notNull().unique())
    .addColumn('version', 'text', (col) => col.notNull())
    .addColumn('customer_profile_id', 'text')
    .addColumn('payment_profile_id', 'text')
    .addColumn('payment_first_name', 'text')
    .addColumn('payment_last_name', 'text')
    .addColumn('payment_address', 'text')
    .addColumn('payment_expiry', 'text')
    .addColumn('purchase_order_number', 'text')
    .addColumn('marketplace', 'text')
    .addColumn('license_sn', 'text')
    .addColumn('terms', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('app_limit', 'integer', (col) => col.notNull())
    .addColumn('namespace_limit', 'integer', (col) => col.notNull())
    .addColumn('subscription_period', 'integer', (col) => col.notNull())
    .addColumn('grace_period', 'integer', (col) => col.notNull())
    .addColumn('reminder_before_period', 'integer', (col) => col.notNull())
    .addColumn('onboard_status', 'text', (col) => col.notNull())
    .addColumn('cost_per_app_unit_micros', 'integer', (col) => col.notNull())
    .addColumn('cost_per_namespace_unit_micros', 'integer', (col) => col.notNull())
    .addColumn('labels', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('modified_at', 'text', (col) => col.notNull())
    .addColumn('modified_by', 'text')
    .addColumn('revision', 'integer', (col) => col.notNull())
    .addColumn('product_id', 'integer', (col) => col.references('products.id'))
    .addColumn('entitled_capacity', 'real')
    .addColumn('capacity_unit', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('period_start', 'text', (col) => col.notNull())
    .addColumn('cancelled_at', 'text')
    .execute();
  for (const [name, columns] of [
    ['subscriptions_created', ['created_at', 'number']],
    ['subscriptions_status', ['status', 'number']],
    ['subscriptions_terms', ['terms', 'number']],
    ['subscriptions_expires', ['expires_at', 'number']],
    ['subscriptions_product', ['product_id', 'number']],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on('subscriptions')
      .columns([...columns])
      .execute();
  }

  await db.schema
    .createTable('subscription_accounts')
    .addColumn('subscription_id', 'text', (col) =>
      col.notNull().references('subscriptions.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.id'))
    .addColumn('position', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('subscription_accounts_pk', ['subscription_id', 'account_id'])
    .execute();
  await db.schema
    .createIndex('subscription_accounts_account')
    .on('subscription_accounts')
    .columns(['account_id', 'subscription_id'])
    .execute();

  // No foreign key to subscriptions: a deleted subscription's charges stay, voided, for billing.
  await db.schema
    .createTable('charges')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('subscription_id', 'text', (col) => col.notNull())
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('amount_micros', 'integer', (col) => col.notNull())
    .addColumn('currency', 'text', (col) => col.notNull())
    .addColumn('breakdown', 'text', (col) => col.notNull())
    .addColumn('period_start', 'text', (col) => col.notNull())
    .addColumn('period_end', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('voided_at', 'text')
    .execute();
  for (const [name, columns] of [
    ['charges_subscription', ['subscription_id', 'created_at', 'id']],
    ['charges_account', ['account_id', 'created_at', 'id']],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on('charges')
      .columns([...columns])
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['charges', 'subscription_accounts', 'subscriptions']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
