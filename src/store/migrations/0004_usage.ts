import type { Kysely } from 'kysely';

/**
 * Usage: raw records, kept for the retention window, and the two aggregates every summary reads
 * (daily rollups and the latest gauge per instance), maintained in the transaction that inserts
 * the records. Pruning raw records never touches the aggregates.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The client's record id is unique within its account: the idempotency scope.
  await db.schema
    .createTable('usage_records')
    .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.id'))
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('instance_id', 'text')
    .addColumn('product_id', 'integer', (col) => col.notNull())
    .addColumn('measure', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('value', 'real', (col) => col.notNull())
    .addColumn('at', 'text', (col) => col.notNull())
    .addColumn('received_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('usage_records_pk', ['account_id', 'id'])
    .execute();
  // Retention deletes by measurement time.
  await db.schema
    .createIndex('usage_records_at')
    .on('usage_records')
    .columns(['at', 'account_id', 'id'])
    .execute();

  await db.schema
    .createTable('usage_daily')
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('product_id', 'integer', (col) => col.notNull())
    .addColumn('measure', 'text', (col) => col.notNull())
    .addColumn('day', 'text', (col) => col.notNull())
    .addColumn('delta_sum', 'real', (col) => col.notNull())
    .addColumn('records', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('usage_daily_pk', ['account_id', 'product_id', 'measure', 'day'])
    .execute();

  // instance_key is '' for usage not tied to an instance: NULLs never conflict in a key.
  await db.schema
    .createTable('usage_gauges')
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('product_id', 'integer', (col) => col.notNull())
    .addColumn('measure', 'text', (col) => col.notNull())
    .addColumn('instance_key', 'text', (col) => col.notNull())
    .addColumn('value', 'real', (col) => col.notNull())
    .addColumn('at', 'text', (col) => col.notNull())
    .addColumn('record_id', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('usage_gauges_pk', [
      'account_id',
      'product_id',
      'measure',
      'instance_key',
    ])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['usage_gauges', 'usage_daily', 'usage_records']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
