import type { Kysely } from 'kysely';

/**
 * A license's activations in order (`listActivations`): without this index SQLite walked every
 * activation in id order to avoid a sort, one full scan per license (found by the benchmark of
 * the NetProfiler and HP facades).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('activations_by_license')
    .on('activations')
    .columns(['license_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('activations_by_license').execute();
}
