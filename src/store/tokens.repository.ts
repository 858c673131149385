import type { Executor } from './database.js';
import type { NewTokenRow } from './schema.js';

/** Issued tokens are recorded by id and hash only: the registry of what was minted, by whom. */
export async function recordToken(db: Executor, token: NewTokenRow): Promise<void> {
  await db.insertInto('tokens').values(token).execute();
}

export async function countTokens(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('tokens')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
