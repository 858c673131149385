import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  SqliteDialect,
  sql,
  type Compilable,
  type MigrationResult,
  type SqliteDatabase as SqliteDialectDatabase,
  type Transaction,
} from 'kysely';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** What a repository function runs its SQL on: the database or an open transaction. */
export type Executor = Db | Tx;

/**
 * A query Kysely builds and compiles once, then runs with fresh parameters: hot paths (validation)
 * skip the builder and the compiler, which cost more than SQLite's own work on a key lookup.
 * `params` are the values in the order their placeholders appear in the compiled SQL; `build`
 * receives placeholders to pass where those values go (their values are never used).
 */
export function preparedQuery<Row>(build: (db: Executor) => Compilable<Row>) {
  let compiled: CompiledQuery<Row> | undefined;
  return async (db: Executor, params: readonly unknown[]): Promise<Row[]> => {
    compiled ??= build(db).compile();
    if (compiled.parameters.length !== params.length) {
      throw new Error(
        `prepared query takes ${String(compiled.parameters.length)} parameters, got ${String(params.length)}`,
      );
    }
    const result = await db.executeQuery(CompiledQuery.raw(compiled.sql, [...params]));
    return result.rows as Row[];
  };
}

export interface TransactionObserver {
  (useCase: string, durationSeconds: number, outcome: 'commit' | 'rollback'): void;
}

export interface Store {
  readonly db: Db;
  readonly dialect: 'sqlite';
  /** Runs one use case in one transaction; any error rolls every write back. */
  transaction<T>(useCase: string, work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Reads outside a transaction (consistent per statement). */
  read<T>(work: (db: Db) => Promise<T>): Promise<T>;
  migrate(): Promise<MigrationResult[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
  observeTransactions(observer: TransactionObserver): void;
  transactionsInFlight(): number;
}

export interface SqliteOptions {
  /** Path of the database file; created with its folder on first open. */
  file: string;
  busyTimeoutMs?: number;
}

/** Opens the embedded SQLite store: WAL journal, foreign keys enforced, busy timeout set. */
export function openSqliteStore(options: SqliteOptions): Store {
  // The database holds every customer's licenses: only the server's user may read it.
  mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
  const connection = new SqliteDatabase(options.file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma(`busy_timeout = ${String(options.busyTimeoutMs ?? 5000)}`);
  connection.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(connection) }),
  });
  return createStore(db);
}

/**
 * Kysely prepares every query anew; preparing costs more than running a primary-key read, so
 * prepared statements are kept by SQL text (bounded, oldest dropped first). SQLite re-prepares a
 * statement by itself when the schema changes.
 */
function withStatementCache(
  connection: SqliteDatabase.Database,
  size = 1000,
): SqliteDialectDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      statements.clear();
      connection.close();
    },
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = connection.prepare(sql);
        if (statements.size >= size) {
          const oldest = statements.keys().next();
          if (oldest.done !== true) statements.delete(oldest.value);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

function createStore(db: Db): Store {
  const observers: TransactionObserver[] = [];
  let inFlight = 0;
  return {
    db,
    dialect: 'sqlite',
    async transaction(useCase, work) {
      const started = process.hrtime.bigint();
      inFlight++;
      let outcome: 'commit' | 'rollback' = 'rollback';
      try {
        const result = await db.transaction().execute(work);
        outcome = 'commit';
        return result;
      } finally {
        inFlight--;
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        for (const observe of observers) observe(useCase, seconds, outcome);
      }
    },
    read: (work) => work(db),
    async migrate() {
      const migrator = new Migrator({
        db,
        provider: { getMigrations: () => Promise.resolve(migrations) },
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error !== undefined) {
        throw new Error(`database migration failed: ${describe(error)}`, { cause: error });
      }
      return results ?? [];
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
    observeTransactions(observer) {
      observers.push(observer);
    },
    transactionsInFlight: () => inFlight,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
