import type { UpstreamHealth } from '../domain/upstream.js';
import type { Executor } from './database.js';

export interface UpstreamLink extends UpstreamHealth {
  accountId: string;
  token: string | null;
  remoteAccountId: string | null;
}

export async function findUpstreamLink(
  db: Executor,
  accountId: string,
): Promise<UpstreamLink | undefined> {
  const row = await db
    .selectFrom('upstream_links')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    accountId: row.account_id,
    token: row.token,
    remoteAccountId: row.remote_account_id,
    lastAttemptAt: row.last_attempt_at,
    lastContactAt: row.last_contact_at,
    lastError: row.last_error,
    consecutiveFailures: row.consecutive_failures,
    openUntil: row.open_until,
  };
}

/** Sets the credentials; a new token starts the health afresh. */
export async function saveUpstreamCredentials(
  db: Executor,
  link: { accountId: string; token: string; remoteAccountId: string | null },
): Promise<void> {
  const fresh = {
    token: link.token,
    remote_account_id: link.remoteAccountId,
    last_attempt_at: null,
    last_contact_at: null,
    last_error: null,
    consecutive_failures: 0,
    open_until: null,
  };
  await db
    .insertInto('upstream_links')
    .values({ account_id: link.accountId, ...fresh })
    .onConflict((oc) => oc.column('account_id').doUpdateSet(fresh))
    .execute();
}

export async function saveUpstreamHealth(
  db: Executor,
  accountId: string,
  health: UpstreamHealth,
): Promise<void> {
  const values = {
    last_attempt_at: health.lastAttemptAt,
    last_contact_at: health.lastContactAt,
    last_error: health.lastError,
    consecutive_failures: health.consecutiveFailures,
    open_until: health.openUntil,
  };
  await db
    .insertInto('upstream_links')
    .values({ account_id: accountId, token: null, remote_account_id: null, ...values })
    .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
    .execute();
}

export async function deleteUpstreamLink(db: Executor, accountId: string): Promise<void> {
  await db.deleteFrom('upstream_links').where('account_id', '=', accountId).execute();
}

/**
 * One page of accounts, keyset by id, with those that fetch by themselves (auto-download on, an
 * upstream URL set). Settings are JSON, so the test is made here rather than in SQL; `last` is
 * where the next page starts (null when none follows).
 */
export async function autoDownloadAccounts(
  db: Executor,
  after: string,
  limit: number,
): Promise<{ matching: string[]; last: string | null }> {
  const rows = await db
    .selectFrom('accounts')
    .select(['id', 'settings'])
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit)
    .execute();
  const matching = rows
    .filter((row) => {
      const settings = JSON.parse(row.settings) as {
        autoDownload?: boolean;
        upstreamUrl?: string | null;
      };
      return settings.autoDownload === true && typeof settings.upstreamUrl === 'string';
    })
    .map((row) => row.id);
  return { matching, last: rows.length < limit ? null : (rows.at(-1)?.id ?? null) };
}

/** Every stored service token, by account (housekeeping seals the ones stored in the clear). */
export async function upstreamTokens(
  db: Executor,
): Promise<{ accountId: string; token: string }[]> {
  const rows = await db
    .selectFrom('upstream_links')
    .select(['account_id', 'token'])
    .where('token', 'is not', null)
    .execute();
  return rows.flatMap((row) =>
    row.token === null ? [] : [{ accountId: row.account_id, token: row.token }],
  );
}

/** Replaces a stored token with another form of the same token (its health stays). */
export async function restoreUpstreamToken(
  db: Executor,
  accountId: string,
  token: string,
): Promise<void> {
  await db
    .updateTable('upstream_links')
    .set({ token })
    .where('account_id', '=', accountId)
    .execute();
}
