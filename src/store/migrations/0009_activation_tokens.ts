import type { Kysely } from 'kysely';

/** One-time activation (purchase) tokens; only a hash of each token is kept. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('activation_tokens')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('hint', 'text', (col) => col.notNull())
    .addColumn('account_id', 'text', (col) => col.references('accounts.id').onDelete('cascade'))
    .addColumn('order_id', 'text')
    .addColumn('count', 'integer', (col) => col.notNull())
    .addColumn('license', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('redeemed_at', 'text')
    .addColumn('redeemed_by_account', 'text')
    .addColumn('redeemed_by_subject', 'text')
    .addColumn('license_ids', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema
    .createIndex('activation_tokens_account')
    .on('activation_tokens')
    .columns(['account_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('activation_tokens').execute();
}
