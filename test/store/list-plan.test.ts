import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseListQuery } from '../../src/domain/query.js';
import { openSqliteStore } from '../../src/store/database.js';
import { licensesCollection, listLicenses } from '../../src/store/licenses.repository.js';
import type { Database as Schema } from '../../src/store/schema.js';

// SQLite only (SQLITE_ONLY in vitest.config.ts): it reads SQLite's query plan.
let dir: string;
let raw: Database.Database;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'entitle-plan-'));
  const store = openSqliteStore({ file: join(dir, 'entitle.db') });
  await store.migrate();
  await store.close();
  raw = new Database(join(dir, 'entitle.db'));
});
afterAll(() => {
  raw.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The plan SQLite chooses for the list query the repository builds. */
async function planOf(orderBy: string): Promise<string[]> {
  const seen: { sql: string; parameters: readonly unknown[] }[] = [];
  const db = new Kysely<Schema>({
    dialect: new SqliteDialect({ database: raw }),
    log: (event) => {
      seen.push({ sql: event.query.sql, parameters: event.query.parameters });
    },
  });
  const query = parseListQuery(licensesCollection, {
    filter: "accountId eq 'acme' and state eq 'active'",
    orderBy,
    limit: '100',
  });
  await listLicenses(db, null, query);
  const last = seen.at(-1);
  if (last === undefined) throw new Error('no query ran');
  const plan = raw.prepare(`explain query plan ${last.sql}`).all(...last.parameters) as {
    detail: string;
  }[];
  return plan.map((step) => step.detail);
}

describe("an account's licenses by expiry", () => {
  it.each(['expiresAt desc', 'expiresAt asc'])('walks an index for %s, never sorts', async (by) => {
    const plan = await planOf(by);
    expect(plan.join('\n')).toMatch(/USING INDEX licenses_account_expiry_(desc|asc)/);
    expect(plan.join('\n')).not.toContain('TEMP B-TREE');
  });
});
