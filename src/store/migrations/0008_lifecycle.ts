import type { Kysely } from 'kysely';

/**
 * What the lifecycle jobs have recorded, so that a repeated, crashed or concurrent pass never
 * records an event twice: the primary keys are the guarantee, not any process's memory.
 *
 * - `lifecycle_marks`: one row per resource × mark × occurrence (`expired` of a license for its
 *   expiry of 2027-11-23, `overage:1:2` of an account for 2026-11). `source` is the resource's
 *   stored text the mark was computed from (its `expires_at` as written), so a scan can skip
 *   finished resources with an anti-join on the stored value.
 * - `compliance_levels`: the last overall compliance level observed per account.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lifecycle_marks')
    .addColumn('resource_type', 'text', (col) => col.notNull())
    .addColumn('resource_id', 'text', (col) => col.notNull())
    .addColumn('mark', 'text', (col) => col.notNull())
    .addColumn('occurrence', 'text', (col) => col.notNull())
    .addColumn('source', 'text')
    .addColumn('at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('lifecycle_marks_pk', [
      'resource_type',
      'resource_id',
      'mark',
      'occurrence',
    ])
    .execute();
  // The scans' anti-join: "this resource has the mark for its expiry as stored".
  await db.schema
    .createIndex('lifecycle_marks_source')
    .on('lifecycle_marks')
    .columns(['resource_type', 'resource_id', 'mark', 'source'])
    .execute();

  // The reminder scan of an account with its own window (settings.reminderDays).
  await db.schema
    .createIndex('licenses_account_expires')
    .on('licenses')
    .columns(['account_id', 'expires_at', 'id'])
    .execute();

  await db.schema
    .createTable('compliance_levels')
    .addColumn('account_id', 'text', (col) =>
      col.primaryKey().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('level', 'text', (col) => col.notNull())
    .addColumn('at', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('compliance_levels').ifExists().execute();
  await db.schema.dropIndex('licenses_account_expires').ifExists().execute();
  await db.schema.dropTable('lifecycle_marks').ifExists().execute();
}
