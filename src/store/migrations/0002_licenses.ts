import { sql, type Kysely } from 'kysely';

/** Licenses, the instances that consume them, their activations, and the certificate signing keys. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sequences')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('value', 'integer', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('instances')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.id'))
    .addColumn('install_id', 'integer', (col) => col.notNull().unique())
    .addColumn('device_serial', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('hostname', 'text')
    .addColumn('fingerprint', 'text')
    .addColumn('labels', 'text', (col) => col.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addColumn('last_seen_at', 'text')
    .execute();
  await db.schema
    .createIndex('instances_account')
    .on('instances')
    .columns(['account_id', 'id'])
    .execute();

  await db.schema
    .createTable('licenses')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('serial_number', 'integer', (col) => col.notNull().unique())
    .addColumn('key', 'text', (col) => col.notNull().unique())
    .addColumn('key_scheme', 'text', (col) => col.notNull())
    .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.id'))
    .addColumn('product_id', 'integer', (col) => col.references('products.id'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('service', 'text')
    .addColumn('group_name', 'text')
    .addColumn('term', 'text', (col) => col.notNull())
    .addColumn('metric_id', 'integer')
    .addColumn('quantity', 'real', (col) => col.notNull())
    .addColumn('features', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('base_license', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addColumn('starts_at', 'text')
    .addColumn('activated_at', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('grace_days', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('seat_limit', 'integer')
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('deactivated_key', 'text')
    .addColumn('order_id', 'text')
    .addColumn('sku', 'text')
    .addColumn('labels', 'text', (col) => col.notNull().defaultTo('{}'))
    .execute();
  for (const [name, columns] of [
    ['licenses_account', ['account_id', 'id']],
    ['licenses_product', ['product_id', 'id']],
    ['licenses_expires', ['expires_at', 'id']],
    ['licenses_service', ['service', 'id']],
    ['licenses_group', ['group_name', 'id']],
    ['licenses_created', ['created_at', 'id']],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on('licenses')
      .columns([...columns])
      .execute();
  }

  await db.schema
    .createTable('activations')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('license_id', 'text', (col) =>
      col.notNull().references('licenses.id').onDelete('cascade'),
    )
    .addColumn('instance_id', 'text', (col) =>
      col.notNull().references('instances.id').onDelete('cascade'),
    )
    .addColumn('activated_at', 'text', (col) => col.notNull())
    .addColumn('deactivated_at', 'text')
    .execute();
  // At most one live activation per license and instance; the seat count is the live rows.
  await db.schema
    .createIndex('activations_live')
    .on('activations')
    .columns(['license_id', 'instance_id'])
    .unique()
    .where(sql.ref('deactivated_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('activations_instance')
    .on('activations')
    .columns(['instance_id', 'license_id'])
    .execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (col) => col.primaryKey())
    .addColumn('algorithm', 'text', (col) => col.notNull())
    .addColumn('public_key', 'text', (col) => col.notNull())
    .addColumn('private_key', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('retired_at', 'text')
    .addColumn('signed_until', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['signing_keys', 'activations', 'licenses', 'instances', 'sequences']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
