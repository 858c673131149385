import type { Kysely } from 'kysely';

/** Policies (license templates), the license ↔ policy binding, and floating leases. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('policies')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('product_id', 'integer', (col) =>
      col.notNull().references('products.id').onDelete('restrict'),
    )
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('terms', 'text', (col) => col.notNull())
    .addColumn('revision', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('policies_product_name', ['product_id', 'name'])
    .execute();
  await db.schema
    .createIndex('policies_created_at')
    .on('policies')
    .columns(['created_at', 'id'])
    .execute();

  await db.schema
    .createTable('license_policies')
    .addColumn('license_id', 'text', (col) =>
      col.primaryKey().references('licenses.id').onDelete('cascade'),
    )
    .addColumn('policy_id', 'text', (col) =>
      col.notNull().references('policies.id').onDelete('restrict'),
    )
    .addColumn('overrides', 'text', (col) => col.notNull().defaultTo('{}'))
    .execute();
  await db.schema
    .createIndex('license_policies_policy')
    .on('license_policies')
    .columns(['policy_id', 'license_id'])
    .execute();

  await db.schema
    .createTable('leases')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('license_id', 'text', (col) =>
      col.notNull().references('licenses.id').onDelete('cascade'),
    )
    .addColumn('instance_id', 'text', (col) =>
      col.notNull().references('instances.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('last_heartbeat_at', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('leases_license_instance', ['license_id', 'instance_id'])
    .execute();
  await db.schema.createIndex('leases_expires_at').on('leases').columns(['expires_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('leases').execute();
  await db.schema.dropTable('license_policies').execute();
  await db.schema.dropTable('policies').execute();
}
