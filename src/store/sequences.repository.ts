import type { Executor } from './database.js';

/**
 * The next value of a named sequence, inside the caller's transaction. SQLite has no sequences:
 * a row per sequence, bumped with UPDATE … RETURNING, which the single writer serializes.
 */
export async function nextValue(db: Executor, name: string, start: number): Promise<number> {
  const bumped = await db
    .updateTable('sequences')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', name)
    .returning('value')
    .executeTakeFirst();
  if (bumped !== undefined) return bumped.value;
  await db.insertInto('sequences').values({ name, value: start }).execute();
  return start;
}
