import { sql } from 'kysely';
import type { Executor } from './database.js';
import type { Database } from './schema.js';

/** The tables pruned by age, and the column their age is in (ISO text, or ms since the epoch). */
const AGED = {
  usage_records: 'at',
  rate_counters: 'window_start',
  user_sessions: 'expires_at',
  login_failures: 'window_start',
} as const satisfies { [T in keyof Database]?: keyof Database[T] & string };

/** Deletes the rows of `table` whose age column is before `before`; answers how many went. */
export async function deleteOlderThan(
  db: Executor,
  table: keyof typeof AGED,
  before: string | number,
): Promise<number> {
  const result =
    await sql`delete from ${sql.table(table)} where ${sql.ref(AGED[table])} < ${before}`.execute(
      db,
    );
  return Number(result.numAffectedRows ?? 0);
}
