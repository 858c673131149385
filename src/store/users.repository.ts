import { sql } from 'kysely';
import type { CollectionSpec, ListQuery } from '../domain/query.js';
import type { AccessCode, FailureWindow, User, UserRole } from '../domain/user.js';
import type { Executor } from './database.js';
import { listPage, type Page } from './list.js';
import type { AccessCodesTable, UsersTable } from './schema.js';

export const usersCollection: CollectionSpec = {
  name: 'users',
  fields: {
    username: { type: 'string', column: 'username' },
    accountId: { type: 'string', column: 'account_id' },
    role: { type: 'string', column: 'role' },
    instance: { type: 'string', column: 'instance_id', nullable: true },
    createdAt: { type: 'timestamp', column: 'created_at' },
    updatedAt: { type: 'timestamp', column: 'updated_at' },
  },
  key: 'username',
  defaultOrder: [{ field: 'username', direction: 'asc' }],
  includable: [
    'username',
    'accountId',
    'role',
    'instance',
    'createdAt',
    'updatedAt',
    'passwordChangedAt',
  ],
  defaultLimit: 100,
  maxLimit: 1000,
};

/** A user with its stored password hash (which never leaves the services layer). */
export interface UserRecord {
  user: User;
  passwordHash: string;
}

function toUser(row: UsersTable): User {
  return {
    username: row.username,
    accountId: row.account_id,
    role: row.role as UserRole,
    instance: row.instance_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    passwordChangedAt: row.password_changed_at,
  };
}

export async function insertUser(db: Executor, user: User, passwordHash: string): Promise<void> {
  await db
    .insertInto('users')
    .values({
      username: user.username,
      password_hash: passwordHash,
      account_id: user.accountId,
      role: user.role,
      instance_id: user.instance,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
      password_changed_at: user.passwordChangedAt,
    })
    .execute();
}

export async function findUser(db: Executor, username: string): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('username', '=', username)
    .executeTakeFirst();
  return row === undefined ? undefined : { user: toUser(row), passwordHash: row.password_hash };
}

export async function listUsers(
  db: Executor,
  scope: readonly string[] | null,
  query: ListQuery,
): Promise<Page<User>> {
  let base = db.selectFrom('users').selectAll();
  if (scope !== null) base = base.where('account_id', 'in', scope.length > 0 ? [...scope] : ['']);
  const page = await listPage(base, usersCollection, query);
  return { ...page, rows: page.rows.map(toUser) };
}

export async function updatePassword(
  db: Executor,
  username: string,
  passwordHash: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: at, password_changed_at: at })
    .where('username', '=', username)
    .execute();
}

export async function deleteUser(db: Executor, username: string): Promise<void> {
  await db.deleteFrom('users').where('username', '=', username).execute();
}

// --- sessions: the tokens logins yielded ---------------------------------------------------

export async function recordSession(
  db: Executor,
  session: { tokenId: string; username: string; issuedAt: string; expiresAt: string },
): Promise<void> {
  await db
    .insertInto('user_sessions')
    .values({
      token_id: session.tokenId,
      username: session.username,
      issued_at: session.issuedAt,
      expires_at: session.expiresAt,
      revoked_at: null,
    })
    .execute();
}

/** Revokes one session; answers whether it was live. */
export async function revokeSession(db: Executor, tokenId: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('user_sessions')
    .set({ revoked_at: at })
    .where('token_id', '=', tokenId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Revokes every live session of a user (password rotated, user deleted); answers how many. */
export async function revokeSessionsOf(
  db: Executor,
  username: string,
  at: string,
): Promise<number> {
  const result = await db
    .updateTable('user_sessions')
    .set({ revoked_at: at })
    .where('username', '=', username)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', at)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** True when the token id names a revoked session (tokens that are no session are never revoked here). */
export async function isSessionRevoked(db: Executor, tokenId: string): Promise<boolean> {
  const row = await db
    .selectFrom('user_sessions')
    .select('revoked_at')
    .where('token_id', '=', tokenId)
    .executeTakeFirst();
  return row !== undefined && row.revoked_at !== null;
}

// --- failed logins ---------------------------------------------------------------------------

/** The failure windows kept under these keys (absent: none). */
export async function findFailures(
  db: Executor,
  keys: readonly string[],
): Promise<Map<string, FailureWindow>> {
  if (keys.length === 0) return new Map();
  const rows = await db
    .selectFrom('login_failures')
    .selectAll()
    .where('key', 'in', [...keys])
    .execute();
  return new Map(rows.map((row) => [row.key, { windowStart: row.window_start, count: row.count }]));
}

/**
 * Counts one login attempt under `key`, in one statement (an upsert that returns the row), so
 * concurrent attempts each see the ones before them: a window that started at or before
 * `staleAt` starts over at `now` with this attempt, otherwise the attempt is added to it (the
 * rule of `nextFailureWindow` in domain/user.ts, which the store's test holds it to).
 */
export async function countAttempt(
  db: Executor,
  key: string,
  now: string,
  staleAt: string,
): Promise<FailureWindow> {
  const stale = sql<boolean>`login_failures.window_start <= ${staleAt}`;
  const row = await db
    .insertInto('login_failures')
    .values({ key, window_start: now, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        window_start: sql<string>`case when ${stale} then excluded.window_start else login_failures.window_start end`,
        count: sql<number>`case when ${stale} then 1 else login_failures.count + 1 end`,
      }),
    )
    .returning(['window_start', 'count'])
    .executeTakeFirstOrThrow();
  return { windowStart: row.window_start, count: row.count };
}

/** Takes back one attempt counted in the window that started at `windowStart` (it succeeded). */
export async function uncountAttempt(
  db: Executor,
  key: string,
  windowStart: string,
): Promise<void> {
  await db
    .updateTable('login_failures')
    .set({ count: sql<number>`count - 1` })
    .where('key', '=', key)
    .where('window_start', '=', windowStart)
    .where('count', '>', 0)
    .execute();
}

export async function clearFailures(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('login_failures').where('key', '=', key).execute();
}

// --- access codes ----------------------------------------------------------------------------

function toAccessCode(row: AccessCodesTable): AccessCode {
  return {
    id: row.id,
    username: row.username,
    hint: row.hint,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export async function insertAccessCode(
  db: Executor,
  code: AccessCode,
  codeHash: string,
): Promise<void> {
  await db
    .insertInto('access_codes')
    .values({
      id: code.id,
      username: code.username,
      code_hash: codeHash,
      hint: code.hint,
      created_at: code.createdAt,
      last_used_at: code.lastUsedAt,
      revoked_at: code.revokedAt,
    })
    .execute();
}

export async function findAccessCodeByHash(
  db: Executor,
  codeHash: string,
): Promise<AccessCode | undefined> {
  const row = await db
    .selectFrom('access_codes')
    .selectAll()
    .where('code_hash', '=', codeHash)
    .executeTakeFirst();
  return row === undefined ? undefined : toAccessCode(row);
}

export async function findAccessCode(
  db: Executor,
  username: string,
  id: string,
): Promise<AccessCode | undefined> {
  const row = await db
    .selectFrom('access_codes')
    .selectAll()
    .where('username', '=', username)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toAccessCode(row);
}

export async function listAccessCodes(db: Executor, username: string): Promise<AccessCode[]> {
  const rows = await db
    .selectFrom('access_codes')
    .selectAll()
    .where('username', '=', username)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toAccessCode);
}

export async function markAccessCode(
  db: Executor,
  id: string,
  fields: { lastUsedAt?: string; revokedAt?: string },
): Promise<void> {
  await db
    .updateTable('access_codes')
    .set({
      ...(fields.lastUsedAt === undefined ? {} : { last_used_at: fields.lastUsedAt }),
      ...(fields.revokedAt === undefined ? {} : { revoked_at: fields.revokedAt }),
    })
    .where('id', '=', id)
    .execute();
}
