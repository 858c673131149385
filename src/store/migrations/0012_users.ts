import type { Kysely } from 'kysely';

/**
 * Local users for vendor logins, their NetProfiler access codes, the sessions (tokens) their
 * logins yielded, and failed-login windows. Only hashes of passwords, codes and tokens are kept.
 * Sessions outlive their user on purpose (no cascade): a deleted user's tokens stay revoked.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('username', 'text', (col) => col.primaryKey())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('account_id', 'text', (col) =>
      col.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('role', 'text', (col) => col.notNull())
    .addColumn('instance_id', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addColumn('password_changed_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('users_account').on('users').columns(['account_id']).execute();

  await db.schema
    .createTable('access_codes')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('username', 'text', (col) =>
      col.notNull().references('users.username').onDelete('cascade'),
    )
    .addColumn('code_hash', 'text', (col) => col.notNull().unique())
    .addColumn('hint', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema
    .createIndex('access_codes_user')
    .on('access_codes')
    .columns(['username', 'id'])
    .execute();

  await db.schema
    .createTable('user_sessions')
    .addColumn('token_id', 'text', (col) => col.primaryKey())
    .addColumn('username', 'text', (col) => col.notNull())
    .addColumn('issued_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema
    .createIndex('user_sessions_user')
    .on('user_sessions')
    .columns(['username'])
    .execute();

  await db.schema
    .createTable('login_failures')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('window_start', 'text', (col) => col.notNull())
    .addColumn('count', 'integer', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['login_failures', 'user_sessions', 'access_codes', 'users']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
