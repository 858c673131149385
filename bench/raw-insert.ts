import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/store/database.js';

/** A usage row as the raw baselines insert it: what `POST /v1/usage` stores, without aggregates. */
export interface RawUsageRow {
  id: string;
  at: string;
}

/**
 * A fresh database with Entitle's schema in `dir` (file `name`), one account and one product, and
 * a function inserting usage rows in one transaction with a prepared `insert … on conflict do
 * nothing`: the raw batched insert the usage figures are compared with.
 */
export async function rawUsageInserter(
  dir: string,
  name: string,
): Promise<{ insert: (rows: readonly RawUsageRow[]) => void; close: () => void }> {
  const file = join(dir, name);
  const store = openSqliteStore({ file });
  await store.migrate();
  await store.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const now = new Date().toISOString();
  db.prepare(
    "insert into accounts (id, name, org_id, settings, created_at, updated_at) values ('acct-000000', 'Raw', null, '{}', ?, ?)",
  ).run(now, now);
  db.prepare(
    "insert into products (id, slug, name, group_name, description, created_at, updated_at) values (1, 'raw', 'Raw', null, '', ?, ?)",
  ).run(now, now);
  const statement = db.prepare(
    'insert into usage_records (account_id, id, instance_id, product_id, measure, kind, value, at, received_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing',
  );
  const insert = db.transaction((rows: readonly RawUsageRow[]) => {
    const received = new Date().toISOString();
    for (const row of rows) {
      statement.run('acct-000000', row.id, null, 1, 'metric:1', 'delta', 1, row.at, received);
    }
  });
  return {
    insert: (rows) => {
      insert(rows);
    },
    close: () => {
      db.close();
    },
  };
}
