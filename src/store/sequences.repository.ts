import type { Executor } from './database.js';

/**
 * The next value of a named sequence, inside the caller's transaction. A row per sequence, bumped
 * with UPDATE … RETURNING: SQLite's single writer serializes it, and on PostgreSQL the row lock
 * does, until the caller's transaction ends. The first use creates the row; of two first uses at
 * once, the loser's insert does nothing and it bumps the winner's row.
 */
export async function nextValue(db: Executor, name: string, start: number): Promise<number> {
  for (;;) {
    const bumped = await db
      .updateTable('sequences')
      .set((eb) => ({ value: eb('value', '+', 1) }))
      .where('name', '=', name)
      .returning('value')
      .executeTakeFirst();
    if (bumped !== undefined) return bumped.value;
    const created = await db
      .insertInto('sequences')
      .values({ name, value: start })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('value')
      .executeTakeFirst();
    if (created !== undefined) return created.value;
  }
}
