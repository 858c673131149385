import type { Kysely } from 'kysely';

/**
 * The housekeeping job (jobs/housekeeping.ts) deletes by age: finished webhook deliveries past
 * their retention and expired sessions (rate-limit windows have theirs from 0015). These indexes
 * make each pass a range walk instead of a scan of tables that grow with traffic.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('webhook_deliveries_created')
    .on('webhook_deliveries')
    .columns(['created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('user_sessions_expires')
    .on('user_sessions')
    .columns(['expires_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_created').execute();
  await db.schema.dropIndex('user_sessions_expires').execute();
}
