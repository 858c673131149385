import { sql } from 'kysely';
import type { Db, Store, Tx } from './database.js';
import { advanceSerial, dialectOf } from './dialect.js';
import type { Database } from './schema.js';

/**
 * Moving every row of a store to another (SQLite → PostgreSQL, or between servers): an export is
 * JSON lines, a header and then one line per row, table by table in dependency order (a row's
 * references come before it); an import writes them in one transaction into an empty, migrated
 * store of the same schema version. Values travel as JSON: text, numbers (integers and doubles
 * round-trip exactly) and nulls, which is all the store keeps.
 */

export const EXPORT_FORMAT = 'entitle-export';
export const EXPORT_VERSION = 1;

type TableName = keyof Database;

/** Every table, parents before children. A table missing here fails every export (see below). */
export const TABLES_IN_ORDER: readonly TableName[] = [
  'accounts',
  'products',
  'product_features',
  'product_metrics',
  'events',
  'tokens',
  'sequences',
  'instances',
  'licenses',
  'activations',
  'signing_keys',
  'subscriptions',
  'subscription_accounts',
  'charges',
  'usage_records',
  'usage_daily',
  'usage_gauges',
  'license_groups',
  'group_licenses',
  'orders',
  'order_items',
  'job_runs',
  'lifecycle_marks',
  'compliance_levels',
  'activation_tokens',
  'upstream_links',
  'webhook_endpoints',
  'webhook_deliveries',
  'webhook_attempts',
  'users',
  'access_codes',
  'user_sessions',
  'login_failures',
  'policies',
  'license_policies',
  'leases',
  'rate_counters',
];

/** Auto-increment keys: after an import PostgreSQL's sequences must move past the imported keys. */
const SERIAL_KEYS: readonly [TableName, string][] = [
  ['products', 'id'],
  ['events', 'id'],
  ['activations', 'id'],
  ['webhook_deliveries', 'id'],
  ['webhook_attempts', 'id'],
];

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  /** The migrations the exported store had applied: an import needs the same schema. */
  migrations: string[];
  tables: Record<string, number>;
}

interface RowLine {
  table: string;
  row: Record<string, unknown>;
}

export class TransferError extends Error {}

/** The tables the database holds besides Kysely's own bookkeeping. */
async function tablesIn(db: Db | Tx): Promise<string[]> {
  const tables = await db.introspection.getTables();
  return tables.map((t) => t.name).filter((name) => !name.startsWith('kysely_'));
}

async function appliedMigrations(db: Db | Tx): Promise<string[]> {
  const rows = await sql<{
    name: string;
  }>`select name from kysely_migration order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

async function checkTablesKnown(db: Db | Tx): Promise<void> {
  const unknown = (await tablesIn(db)).filter(
    (name) => !(TABLES_IN_ORDER as readonly string[]).includes(name),
  );
  if (unknown.length > 0) {
    throw new TransferError(
      `tables unknown to the transfer (add them to TABLES_IN_ORDER): ${unknown.join(', ')}`,
    );
  }
}

/** Rows fetched at a time while an export streams a table. */
const EXPORT_CHUNK = 1000;

/**
 * Writes the header line and every row as JSON lines through `write`, from one consistent
 * snapshot (a repeatable-read transaction on PostgreSQL; SQLite's read transaction is one).
 * Each table is counted for the header, then streamed (a cursor on PostgreSQL, an iterator on
 * SQLite), so an export of millions of rows holds a thousand at a time. Returns the header.
 */
export async function exportStore(
  store: Store,
  write: (line: string) => Promise<void> | void,
): Promise<ExportHeader> {
  let transaction = store.db.transaction();
  if (store.dialect === 'postgres') transaction = transaction.setIsolationLevel('repeatable read');
  return transaction.execute(async (tx) => {
    await checkTablesKnown(tx);
    const present = new Set(await tablesIn(tx));
    const exported = TABLES_IN_ORDER.filter((table) => present.has(table));
    const tables: Record<string, number> = {};
    for (const table of exported) {
      const counted = await tx
        .selectFrom(table)
        .select(sql<number>`count(*)`.as('n'))
        .executeTakeFirst();
      tables[table] = counted?.n ?? 0;
    }
    const header: ExportHeader = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      migrations: await appliedMigrations(tx),
      tables,
    };
    await write(JSON.stringify(header));
    for (const table of exported) {
      for await (const row of tx.selectFrom(table).selectAll().stream(EXPORT_CHUNK)) {
        await write(JSON.stringify({ table, row } satisfies RowLine));
      }
    }
    return header;
  });
}

/** Bound parameters per INSERT: below SQLite's 32,766. */
const MAX_PARAMETERS = 30_000;

/**
 * Reads an export (the lines of `lines`, header first) into `store`, which must be migrated to
 * the same migrations and hold no rows. One transaction: an error leaves the store empty.
 * Returns the row count of each table written.
 */
export async function importStore(
  store: Store,
  lines: AsyncIterable<string>,
): Promise<Record<string, number>> {
  return store.transaction('data.import', async (tx) => {
    await checkTablesKnown(tx);
    const present = new Set(await tablesIn(tx));
    for (const table of present) {
      const counted = await tx
        .selectFrom(table as TableName)
        .select(sql<number>`count(*)`.as('n'))
        .executeTakeFirst();
      if (Number(counted?.n) > 0) {
        throw new TransferError(`the target database is not empty: table ${table} has rows`);
      }
    }
    let header: ExportHeader | undefined;
    const written: Record<string, number> = {};
    let pendingTable = '';
    let pending: Record<string, unknown>[] = [];
    const order = (name: string) => TABLES_IN_ORDER.indexOf(name as TableName);

    const flush = async () => {
      if (pending.length === 0) return;
      const columns = Object.keys(pending[0] ?? {}).length || 1;
      const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns));
      for (let start = 0; start < pending.length; start += perStatement) {
        await tx
          .insertInto(pendingTable as TableName)
          .values(pending.slice(start, start + perStatement))
          .execute();
      }
      written[pendingTable] = (written[pendingTable] ?? 0) + pending.length;
      pending = [];
    };

    let lineNumber = 0;
    for await (const text of lines) {
      lineNumber++;
      if (text.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new TransferError(`line ${String(lineNumber)}: not JSON`);
      }
      if (header === undefined) {
        header = checkHeader(parsed, await appliedMigrations(tx));
        continue;
      }
      const line = parsed as Partial<RowLine> | null;
      if (
        line === null ||
        typeof line.table !== 'string' ||
        typeof line.row !== 'object' ||
        (line.row as unknown) === null
      ) {
        throw new TransferError(`line ${String(lineNumber)}: expected {"table", "row"}`);
      }
      if (!present.has(line.table)) {
        throw new TransferError(`line ${String(lineNumber)}: unknown table ${line.table}`);
      }
      if (line.table !== pendingTable) {
        if (pendingTable !== '' && order(line.table) < order(pendingTable)) {
          throw new TransferError(
            `line ${String(lineNumber)}: table ${line.table} after ${pendingTable}, out of dependency order`,
          );
        }
        await flush();
        pendingTable = line.table;
      }
      pending.push(line.row);
      if (pending.length >= 5000) await flush();
    }
    await flush();
    if (header === undefined) throw new TransferError('empty export: no header line');
    for (const [table, expected] of Object.entries(header.tables)) {
      if ((written[table] ?? 0) !== expected) {
        throw new TransferError(
          `table ${table}: the header announces ${String(expected)} rows, the file has ${String(written[table] ?? 0)} (truncated?)`,
        );
      }
    }
    if (dialectOf(tx) === 'postgres') {
      for (const [table, column] of SERIAL_KEYS) {
        if (present.has(table)) await advanceSerial(tx, table, column);
      }
    }
    return written;
  });
}

function checkHeader(parsed: unknown, targetMigrations: string[]): ExportHeader {
  const header = parsed as Partial<ExportHeader> | null;
  if (header?.format !== EXPORT_FORMAT || header.version !== EXPORT_VERSION) {
    throw new TransferError(
      `not an Entitle export (format ${EXPORT_FORMAT} version ${String(EXPORT_VERSION)})`,
    );
  }
  const exported = Array.isArray(header.migrations) ? header.migrations : [];
  if (JSON.stringify(exported) !== JSON.stringify(targetMigrations)) {
    throw new TransferError(
      `schema versions differ: the export has migrations up to ${exported.at(-1) ?? 'none'}, the target up to ${targetMigrations.at(-1) ?? 'none'}; run the same Entitle version on both`,
    );
  }
  if (typeof header.tables !== 'object') throw new TransferError('export header has no tables');
  return header as ExportHeader;
}
