import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, preparedQuery, type Store } from '../../src/store/database.js';

// SQLite only (see SQLITE_ONLY in vitest.config.ts): it is about better-sqlite3's statement cache.
let dir: string;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'entitle-prepared-'));
  store = openSqliteStore({ file: join(dir, 'entitle.db') });
  await store.migrate();
  for (const id of ['a', 'b']) {
    await store.db
      .insertInto('accounts')
      .values({
        id,
        name: `Account ${id}`,
        org_id: null,
        settings: '{}',
        created_at: '2026-11-23T12:00:00.000Z',
        updated_at: '2026-11-23T12:00:00.000Z',
      })
      .execute();
  }
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('prepared queries', () => {
  const byIdAndName = preparedQuery((db) =>
    db.selectFrom('accounts').select(['id']).where('id', '=', '').where('name', '=', ''),
  );

  it('runs the query compiled once with each call’s parameters, in placeholder order', async () => {
    expect(await byIdAndName(store.db, ['a', 'Account a'])).toEqual([{ id: 'a' }]);
    expect(await byIdAndName(store.db, ['b', 'Account b'])).toEqual([{ id: 'b' }]);
    expect(await byIdAndName(store.db, ['b', 'Account a'])).toEqual([]);
  });

  it('refuses a call with the wrong number of parameters', async () => {
    await expect(byIdAndName(store.db, ['a'])).rejects.toThrow(
      'prepared query takes 2 parameters, got 1',
    );
  });

  it('runs inside a transaction too', async () => {
    const rows = await store.transaction('test.prepared', (tx) =>
      byIdAndName(tx, ['a', 'Account a']),
    );
    expect(rows).toEqual([{ id: 'a' }]);
  });
});
