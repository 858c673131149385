import type { Kysely } from 'kysely';

/** BlackBerry group licensing: groups of users that licenses are assigned to, and purchase orders. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('license_groups')
    .addColumn('guid', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('number_of_users', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('license_groups_account')
    .on('license_groups')
    .columns(['account_id', 'name', 'guid'])
    .execute();

  // A license is in at most one group.
  await db.schema
    .createTable('group_licenses')
    .addColumn('license_id', 'text', (col) =>
      col.primaryKey().references('licenses.id').onDelete('cascade'),
    )
    .addColumn('group_guid', 'text', (col) =>
      col.notNull().references('license_groups.guid').onDelete('cascade'),
    )
    .addColumn('assigned_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('group_licenses_group')
    .on('group_licenses')
    .columns(['group_guid', 'license_id'])
    .execute();

  await db.schema
    .createTable('orders')
    .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.id'))
    .addColumn('order_id', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('orders_pk', ['account_id', 'order_id'])
    .execute();

  await db.schema
    .createTable('order_items')
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('order_id', 'text', (col) => col.notNull())
    .addColumn('position', 'integer', (col) => col.notNull())
    .addColumn('sku', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull())
    .addColumn('quantity', 'integer', (col) => col.notNull())
    .addColumn('start_date', 'text', (col) => col.notNull())
    .addColumn('end_date', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('order_items_pk', ['account_id', 'order_id', 'position'])
    .addForeignKeyConstraint(
      'order_items_order',
      ['account_id', 'order_id'],
      'orders',
      ['account_id', 'order_id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['order_items', 'orders', 'group_licenses', 'license_groups']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
