import { normalizeSettings, type Account, type AccountSettings } from '../domain/account.js';
import { Conflict, InUse } from '../domain/errors.js';
import type { CollectionSpec, ListQuery } from '../domain/query.js';
import type { Executor } from './database.js';
import { isForeignKeyViolation, isUniqueViolation } from './errors.js';
import { listPage, type Page } from './list.js';
import type { AccountRow } from './schema.js';

export const accountsCollection: CollectionSpec = {
  name: 'accounts',
  fields: {
    id: { type: 'string', column: 'id' },
    name: { type: 'string', column: 'name' },
    orgId: { type: 'string', column: 'org_id', nullable: true },
    createdAt: { type: 'timestamp', column: 'created_at' },
    updatedAt: { type: 'timestamp', column: 'updated_at' },
  },
  key: 'id',
  defaultOrder: [{ field: 'id', direction: 'asc' }],
  includable: ['id', 'name', 'orgId', 'settings', 'createdAt', 'updatedAt'],
  defaultLimit: 100,
  maxLimit: 1000,
};

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    name: row.name,
    orgId: row.org_id,
    settings: normalizeSettings(JSON.parse(row.settings) as Partial<AccountSettings>),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function findAccount(db: Executor, id: string): Promise<Account | undefined> {
  const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toAccount(row);
}

/** Lists accounts; `scope` null means every account (operators). */
export async function listAccounts(
  db: Executor,
  scope: readonly string[] | null,
  query: ListQuery,
): Promise<Page<Account>> {
  let base = db.selectFrom('accounts').selectAll();
  if (scope !== null) base = base.where('id', 'in', scope.length > 0 ? [...scope] : ['']);
  const page = await listPage(base, accountsCollection, query);
  return { ...page, rows: page.rows.map(toAccount) };
}

export async function insertAccount(db: Executor, account: Account): Promise<void> {
  try {
    await db
      .insertInto('accounts')
      .values({
        id: account.id,
        name: account.name,
        org_id: account.orgId,
        settings: JSON.stringify(account.settings),
        created_at: account.createdAt,
        updated_at: account.updatedAt,
      })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new Conflict(`Account '${account.id}' already exists.`, [
        { name: 'id', reason: 'an account with this id already exists' },
      ]);
    }
    throw error;
  }
}

export async function updateAccount(db: Executor, account: Account): Promise<void> {
  await db
    .updateTable('accounts')
    .set({
      name: account.name,
      org_id: account.orgId,
      settings: JSON.stringify(account.settings),
      updated_at: account.updatedAt,
    })
    .where('id', '=', account.id)
    .execute();
}

export async function deleteAccount(db: Executor, id: string): Promise<void> {
  try {
    await db.deleteFrom('accounts').where('id', '=', id).execute();
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new InUse('Account', id, 'licenses or subscriptions');
    throw error;
  }
}

/** The ids among `ids` that name no account. */
export async function missingAccounts(db: Executor, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('accounts')
    .select('id')
    .where('id', 'in', [...ids])
    .execute();
  const known = new Set(rows.map((row) => row.id));
  return ids.filter((id) => !known.has(id));
}

export async function countAccounts(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
