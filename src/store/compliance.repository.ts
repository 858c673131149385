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
