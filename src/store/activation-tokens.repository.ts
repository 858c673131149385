import type { ActivationTokenRecord, LicenseTemplate } from '../domain/activation-token.js';
import type { CollectionSpec, ListQuery } from '../domain/query.js';
import type { Executor } from './database.js';
import { listPage, type Page } from './list.js';
import type { ActivationTokensTable } from './schema.js';

export const activationTokensCollection: CollectionSpec = {
  name: 'activation-tokens',
  fields: {
    id: { type: 'string', column: 'id' },
    accountId: { type: 'string', column: 'account_id', nullable: true },
    orderId: { type: 'string', column: 'order_id', nullable: true },
    hint: { type: 'string', column: 'hint' },
    createdAt: { type: 'timestamp', column: 'created_at' },
    expiresAt: { type: 'timestamp', column: 'expires_at' },
    redeemedAt: { type: 'timestamp', column: 'redeemed_at', nullable: true },
    revokedAt: { type: 'timestamp', column: 'revoked_at', nullable: true },
  },
  key: 'id',
  defaultOrder: [{ field: 'createdAt', direction: 'desc' }],
  includable: [
    'id',
    'hint',
    'accountId',
    'orderId',
    'count',
    'license',
    'status',
    'createdAt',
    'expiresAt',
    'redeemedAt',
    'redeemedBy',
    'licenseIds',
    'revokedAt',
  ],
  defaultLimit: 100,
  maxLimit: 1000,
};

function toRecord(row: ActivationTokensTable): ActivationTokenRecord {
  return {
    id: row.id,
    hint: row.hint,
    accountId: row.account_id,
    orderId: row.order_id,
    count: row.count,
    license: JSON.parse(row.license) as LicenseTemplate,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    redeemedAt: row.redeemed_at,
    redeemedBy:
      row.redeemed_by_account === null
        ? null
        : { accountId: row.redeemed_by_account, subject: row.redeemed_by_subject ?? '' },
    licenseIds: JSON.parse(row.license_ids) as string[],
    revokedAt: row.revoked_at,
  };
}

export async function insertActivationToken(
  db: Executor,
  token: ActivationTokenRecord,
  hash: string,
): Promise<void> {
  await db
    .insertInto('activation_tokens')
    .values({
      id: token.id,
      token_hash: hash,
      hint: token.hint,
      account_id: token.accountId,
      order_id: token.orderId,
      count: token.count,
      license: JSON.stringify(token.license),
      created_at: token.createdAt,
      expires_at: token.expiresAt,
      redeemed_at: null,
      redeemed_by_account: null,
      redeemed_by_subject: null,
      license_ids: '[]',
      revoked_at: null,
    })
    .execute();
}

export async function findActivationToken(
  db: Executor,
  by: { id: string } | { hash: string },
): Promise<ActivationTokenRecord | undefined> {
  const row = await db
    .selectFrom('activation_tokens')
    .selectAll()
    .where('id' in by ? 'id' : 'token_hash', '=', 'id' in by ? by.id : by.hash)
    .executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

/**
 * Marks a token redeemed, only if nobody did first: of two concurrent redemptions exactly one
 * gets `true` (the other's transaction rolls back whatever it issued).
 */
export async function markRedeemed(
  db: Executor,
  id: string,
  by: { accountId: string; subject: string; at: string; licenseIds: readonly string[] },
): Promise<boolean> {
  const result = await db
    .updateTable('activation_tokens')
    .set({
      redeemed_at: by.at,
      redeemed_by_account: by.accountId,
      redeemed_by_subject: by.subject,
      license_ids: JSON.stringify(by.licenseIds),
    })
    .where('id', '=', id)
    .where('redeemed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function markRevoked(db: Executor, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('activation_tokens')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('redeemed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Tokens restricted to the scope's accounts (and, for operators, every token). */
export async function listActivationTokens(
  db: Executor,
  scope: readonly string[] | null,
  query: ListQuery,
): Promise<Page<ActivationTokenRecord>> {
  let base = db.selectFrom('activation_tokens').selectAll();
  if (scope !== null) base = base.where('account_id', 'in', scope.length > 0 ? [...scope] : ['']);
  const page = await listPage(base, activationTokensCollection, query);
  return { ...page, rows: page.rows.map(toRecord) };
}
