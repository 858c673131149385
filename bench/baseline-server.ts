import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { rawUsageInserter, type RawUsageRow } from './raw-insert.js';

/**
 * The baseline every figure is divided by: a bare Fastify 5 route returning a small JSON object,
 * in its own process, measured in the same run as the scenarios.
 *
 * With `DB=<file>`, a second route, `POST /lookup {"key": …}`, is the floor of a validation on
 * this machine: the body parsed, one prepared better-sqlite3 read of the license by key on the
 * bench's own database (read-only), the row answered as JSON. No auth, no schema, no logic.
 *
 * With `INGEST_DIR=<dir>`, `POST /ingest {"records": [{id, at}, …]}` is the floor of usage
 * ingestion: the body parsed and its rows inserted as the raw batched-insert baseline inserts them
 * (one transaction, prepared statement, no aggregates, no validation) into a fresh database there.
 */
const app = Fastify({ logger: false });
app.get('/ping', () => ({ status: 'ok', id: 'acct-000001', name: 'Baseline' }));
const file = process.env.DB;
if (file !== undefined) {
  const db = new Database(file, { readonly: true });
  const lookup = db.prepare<[string], Record<string, unknown>>(
    'select * from licenses where key = ?',
  );
  app.post<{ Body: { key: string } }>('/lookup', (request) => {
    return { valid: true, license: lookup.get(request.body.key) ?? null };
  });
}
const ingestDir = process.env.INGEST_DIR;
if (ingestDir !== undefined) {
  const raw = await rawUsageInserter(ingestDir, 'ingest-floor.db');
  app.post<{ Body: { records: RawUsageRow[] } }>('/ingest', (request) => {
    raw.insert(request.body.records);
    return { accepted: request.body.records.length };
  });
}
const port = Number(process.env.PORT ?? '0');
const url = await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`${url}\n`);
