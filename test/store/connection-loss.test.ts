import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { Unavailable } from '../../src/domain/errors.js';
import { openTestStore, type TestStore } from '../helpers/harness.js';
import { adminQuery, testDialect } from '../helpers/postgres.js';

/**
 * PostgreSQL can drop a connection at any time (a restart, a failover, an administrator's
 * pg_terminate_backend). node-postgres reports it as an 'error' event on the client; a client
 * checked out of the pool has no listener for it, and an unheard 'error' event ends the process.
 */
describe.runIf(testDialect() === 'postgres')('a PostgreSQL connection lost mid-transaction', () => {
  let dir: string;
  let test: TestStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'entitle-connection-loss-'));
    test = await openTestStore(dir);
  });
  afterEach(async () => {
    await test.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails that use case only, as Unavailable, and the store goes on with a new connection', async () => {
    const { store } = test;
    const outcome = store.transaction('test.connection-lost', async (tx) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
      const pid = Number(rows[0]?.pid);
      await adminQuery(inject('postgresAdminUrl'), [`select pg_terminate_backend(${String(pid)})`]);
      await sql`select 1`.execute(tx);
    });
    await expect(outcome).rejects.toBeInstanceOf(Unavailable);
    const { rows } = await store.read((db) => sql<{ one: number }>`select 1 as one`.execute(db));
    expect(rows).toEqual([{ one: 1 }]);
  });
});
