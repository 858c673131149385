import type { Kysely } from 'kysely';

/**
 * The credentials and health of an account's upstream (the vendor's Entitle). The URL itself
 * stays in the account's settings (`upstreamUrl`); the token is kept apart so that reading an
 * account never reads it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('upstream_links')
    .addColumn('account_id', 'text', (col) =>
      col.primaryKey().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('token', 'text')
    .addColumn('remote_account_id', 'text')
    .addColumn('last_attempt_at', 'text')
    .addColumn('last_contact_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('consecutive_failures', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('open_until', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('upstream_links').execute();
}
