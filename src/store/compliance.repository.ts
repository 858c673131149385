import { sql } from 'kysely';
import type { Executor } from './database.js';
import { dialectOf } from './dialect.js';

/**
 * A stamp of what the database has committed, read in one cheap statement: when two reads of it
 * through the same store give the same text, nothing was written in between, through this store
 * or any other (another store on the same database, another process). Read it before the data it
 * guards, so the data is never older than the stamp.
 *
 * - SQLite: `data_version`, which moves whenever another connection commits to the file, and
 *   `total_changes()`, the rows this store's own connection has inserted, updated or deleted
 *   (`data_version` does not count those). Reads wait for any transaction of the connection to
 *   end, so what they see is committed.
 * - PostgreSQL: the current snapshot, `xmin:xmax:in-progress xids`. A transaction that starts
 *   writing (it takes an xid, so `xmax` moves) or ends (it leaves the in-progress list, or `xmin`
 *   moves) changes it, whichever connection or process it ran in: equal snapshots see exactly the
 *   same committed rows. (Event ids would not do: they are taken before commit, so a smaller id
 *   may commit after a larger one.) Any write anywhere in the cluster moves it: it may change
 *   when nothing of interest did, never the other way round.
 */
export async function committedStamp(db: Executor): Promise<string> {
  if (dialectOf(db) === 'postgres') {
    const { rows } = await sql<{
      stamp: string;
    }>`select pg_current_snapshot()::text as stamp`.execute(db);
    return `pg:${rows[0]?.stamp ?? ''}`;
  }
  const { rows } = await sql<{ version: number; changes: number }>`select
      (select data_version from pragma_data_version) as version,
      total_changes() as changes`.execute(db);
  const row = rows[0];
  return `sqlite:${String(row?.version ?? '')}:${String(row?.changes ?? '')}`;
}

/** A license of an account holding more seats (live activations) or leases than its limit. */
export interface SeatsHeld {
  licenseId: string;
  seatLimit: number;
  policyId: string | null;
  activations: number;
  leases: number;
}

/**
 * The account's active licenses with a seat limit that hold more live activations, or more
 * lease rows, than it: the candidates for overage (the caller knows which count is the seats of
 * each — leases for a floating license). Two grouped reads over the account's own rows.
 */
export async function seatsOverLimit(db: Executor, accountId: string): Promise<SeatsHeld[]> {
  interface Row {
    id: string;
    seat_limit: number | null;
    policy_id: string | null;
    held: number | string;
  }
  const grouped = (held: ReturnType<typeof sql>) =>
    sql<Row>`select l.id, l.seat_limit, lp.policy_id, count(*) as held
      from ${held}
      join licenses l on l.id = h.license_id
      left join license_policies lp on lp.license_id = l.id
      where l.account_id = ${accountId} and l.state = 'active' and l.seat_limit is not null
      group by l.id, l.seat_limit, lp.policy_id
      having count(*) > l.seat_limit`
      .execute(db)
      .then((result) => result.rows);
  const over = (table: 'activations' | 'leases') =>
    grouped(
      table === 'activations'
        ? sql`(select license_id from activations where deactivated_at is null) h`
        : sql`leases h`,
    );
  const [activations, leases] = await Promise.all([over('activations'), over('leases')]);
  const found = new Map<string, SeatsHeld>();
  for (const [rows, kind] of [
    [activations, 'activations'],
    [leases, 'leases'],
  ] as const) {
    for (const row of rows) {
      const entry = found.get(row.id) ?? {
        licenseId: row.id,
        seatLimit: row.seat_limit ?? 0,
        policyId: row.policy_id,
        activations: 0,
        leases: 0,
      };
      entry[kind] = Number(row.held);
      found.set(row.id, entry);
    }
  }
  return [...found.values()].sort((a, b) => a.licenseId.localeCompare(b.licenseId));
}
