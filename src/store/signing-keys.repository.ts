import type { Insertable, Selectable } from 'kysely';
import type { Executor } from './database.js';
import type { SigningKeysTable } from './schema.js';

export type SigningKeyRow = Selectable<SigningKeysTable>;
export type NewSigningKeyRow = Insertable<SigningKeysTable>;

export async function insertSigningKey(db: Executor, key: NewSigningKeyRow): Promise<void> {
  await db.insertInto('signing_keys').values(key).execute();
}

/**
 * The key new certificates are signed with: the newest one not retired. Two processes creating
 * the first key at once leave two unretired keys; both stay published, the newer signs.
 */
export async function findCurrentSigningKey(db: Executor): Promise<SigningKeyRow | undefined> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where('retired_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('kid', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Every key ever created, newest first (retired keys are kept: they verify old proofs). */
export async function listSigningKeys(db: Executor): Promise<SigningKeyRow[]> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('kid', 'desc')
    .execute();
}

/**
 * Keys published at `now`, newest first: every key not retired (the current one, published before
 * it signs anything so that clients can fetch it ahead of time), and every retired key that signed
 * a certificate still unexpired (`signed_until` > now). A retired key that never signed anything
 * (`signed_until` null) has nothing left to verify and is not published.
 */
export async function listPublishedSigningKeys(
  db: Executor,
  now: string,
): Promise<SigningKeyRow[]> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('signed_until', '>', now)]))
    .orderBy('created_at', 'desc')
    .orderBy('kid', 'desc')
    .execute();
}

/** Retires every unretired key but `keep`; returns the kids it retired. */
export async function retireSigningKeysExcept(
  db: Executor,
  keep: string,
  at: string,
): Promise<string[]> {
  const rows = await db
    .updateTable('signing_keys')
    .set({ retired_at: at })
    .where('retired_at', 'is', null)
    .where('kid', '!=', keep)
    .returning('kid')
    .execute();
  return rows.map((row) => row.kid).sort();
}

/** Raises the key's `signed_until` to `until` if it is later; never lowers it (one statement). */
export async function extendSignedUntil(db: Executor, kid: string, until: string): Promise<void> {
  await db
    .updateTable('signing_keys')
    .set({ signed_until: until })
    .where('kid', '=', kid)
    .where((eb) => eb.or([eb('signed_until', 'is', null), eb('signed_until', '<', until)]))
    .execute();
}

/** Every key's stored private half, by kid (housekeeping seals the ones stored in the clear). */
export async function signingKeySecrets(
  db: Executor,
): Promise<{ kid: string; privateKey: string }[]> {
  const rows = await db.selectFrom('signing_keys').select(['kid', 'private_key']).execute();
  return rows.map((row) => ({ kid: row.kid, privateKey: row.private_key }));
}

/** Replaces a stored private key with another form of the same key. */
export async function restoreSigningKeySecret(
  db: Executor,
  kid: string,
  privateKey: string,
): Promise<void> {
  await db
    .updateTable('signing_keys')
    .set({ private_key: privateKey })
    .where('kid', '=', kid)
    .execute();
}
