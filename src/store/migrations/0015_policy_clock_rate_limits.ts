import type { Kysely } from 'kysely';

/**
 * When a policy-bound license's clock started (first activation or validation), and the shared
 * per-license rate-limit counters: one row per license, action and fixed window, so every process
 * on the database counts against the same limit.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('license_policies').addColumn('clock_started_at', 'text').execute();
  await db.schema
    .createTable('rate_counters')
    .addColumn('bucket', 'text', (col) => col.notNull())
    .addColumn('window_start', 'bigint', (col) => col.notNull())
    .addColumn('hits', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('rate_counters_pk', ['bucket', 'window_start'])
    .execute();
  await db.schema
    .createIndex('rate_counters_window')
    .on('rate_counters')
    .columns(['window_start'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_counters').execute();
  await db.schema.alterTable('license_policies').dropColumn('clock_started_at').execute();
}
