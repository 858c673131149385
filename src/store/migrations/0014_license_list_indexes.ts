import { sql, type Kysely } from 'kysely';

/**
 * Listing an account's licenses by expiry (the dashboard's, BlueXP's and the bench's query)
 * sorted every matching row: expiry is nullable, so the order is `coalesce(expires_at, '')`, then
 * the serial number ascending as the tiebreak, and no plain index serves that. These indexes hold
 * that exact order after the account, one per direction of the expiry: a page is an index walk,
 * not a sort of the account's million licenses.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('licenses_account_expiry_desc')
    .on('licenses')
    .expression(sql`account_id, coalesce(expires_at, '') desc, serial_number`)
    .execute();
  await db.schema
    .createIndex('licenses_account_expiry_asc')
    .on('licenses')
    .expression(sql`account_id, coalesce(expires_at, ''), serial_number`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('licenses_account_expiry_desc').execute();
  await db.schema.dropIndex('licenses_account_expiry_asc').execute();
}
