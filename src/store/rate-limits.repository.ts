import { sql } from 'kysely';
import type { Executor } from './database.js';

/**
 * Counts one hit of a bucket in a fixed window and answers the window's count so far, in one
 * statement (an upsert that returns the row), so processes sharing the database share the count.
 */
export async function countHit(db: Executor, bucket: string, windowStart: number): Promise<number> {
  const row = await db
    .insertInto('rate_counters')
    .values({ bucket, window_start: windowStart, hits: 1 })
    .onConflict((conflict) =>
      conflict
        .columns(['bucket', 'window_start'])
        .doUpdateSet({ hits: sql<number>`rate_counters.hits + 1` }),
    )
    .returning('hits')
    .executeTakeFirstOrThrow();
  return row.hits;
}
