import type { Kysely } from 'kysely';

// Migrations take Kysely<unknown>: they must not depend on today's table types.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('org_id', 'text')
    .addColumn('settings', 'text', (col) => col.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('accounts_name').on('accounts').columns(['name', 'id']).execute();
  await db.schema
    .createIndex('accounts_created_at')
    .on('accounts')
    .columns(['created_at', 'id'])
    .execute();

  await db.schema
    .createTable('products')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('slug', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('group_name', 'text')
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('products_name').on('products').columns(['name', 'id']).execute();

  await db.schema
    .createTable('product_features')
    .addColumn('product_id', 'integer', (col) =>
      col.notNull().references('products.id').onDelete('cascade'),
    )
    .addColumn('feature_id', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('position', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('product_features_pk', ['product_id', 'feature_id'])
    .execute();

  await db.schema
    .createTable('product_metrics')
    .addColumn('product_id', 'integer', (col) =>
      col.notNull().references('products.id').onDelete('cascade'),
    )
    .addColumn('metric_id', 'integer', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('unit', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('product_metrics_pk', ['product_id', 'metric_id'])
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('at', 'text', (col) => col.notNull())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('actor', 'text', (col) => col.notNull())
    .addColumn('actor_role', 'text', (col) => col.notNull())
    .addColumn('account_id', 'text')
    .addColumn('resource_type', 'text', (col) => col.notNull())
    .addColumn('resource_id', 'text', (col) => col.notNull())
    .addColumn('summary', 'text')
    .addColumn('request_id', 'text')
    .execute();
  await db.schema
    .createIndex('events_account')
    .on('events')
    .columns(['account_id', 'id'])
    .execute();
  await db.schema.createIndex('events_at').on('events').columns(['at', 'id']).execute();
  await db.schema
    .createIndex('events_resource')
    .on('events')
    .columns(['resource_type', 'resource_id', 'id'])
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('role', 'text', (col) => col.notNull())
    .addColumn('accounts', 'text', (col) => col.notNull())
    .addColumn('typ', 'text', (col) => col.notNull())
    .addColumn('instance_id', 'text')
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('issued_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('created_by', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'tokens',
    'events',
    'product_metrics',
    'product_features',
    'products',
    'accounts',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
