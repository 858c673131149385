import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import Cursor from 'pg-cursor';
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
import {
  dialectOf,
  PG_CHARACTER_NOT_IN_REPERTOIRE,
  PG_DEADLOCK_DETECTED,
  PG_UNTRANSLATABLE_CHARACTER,
  PG_SERIALIZATION_FAILURE,
  PortablePostgresDialect,
  type Dialect,
} from './dialect.js';
import { InvalidParams, Unavailable } from '../domain/errors.js';
import { isUnavailable } from './errors.js';
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
  // Compiled once per dialect: placeholders differ (`?` / `$1`), and one process may hold both
  // (moving data from SQLite to PostgreSQL).
  const compiledFor = new Map<Dialect, CompiledQuery<Row>>();
  return async (db: Executor, params: readonly unknown[]): Promise<Row[]> => {
    const dialect = dialectOf(db);
    let compiled = compiledFor.get(dialect);
    if (compiled === undefined) {
      compiled = build(db).compile();
      compiledFor.set(dialect, compiled);
    }
    if (compiled.parameters.length !== params.length) {
      throw new Error(
        `prepared query takes ${String(compiled.parameters.length)} parameters, got ${String(params.length)}`,
      );
    }
    const direct = directStatements.get(db);
    if (direct !== undefined) return direct(compiled.sql).all(...params) as Row[];
    const result = await db.executeQuery(CompiledQuery.raw(compiled.sql, [...params]));
    return result.rows as Row[];
  };
}

export interface TransactionObserver {
  (useCase: string, durationSeconds: number, outcome: 'commit' | 'rollback'): void;
}

export interface Store {
  readonly db: Db;
  readonly dialect: Dialect;
  /** Runs one use case in one transaction; any error rolls every write back. */
  transaction<T>(useCase: string, work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Reads outside a transaction (consistent per statement). */
  read<T>(work: (db: Db) => Promise<T>): Promise<T>;
  migrate(): Promise<MigrationResult[]>;
  ping(): Promise<void>;
  /**
   * SQLite: an online, consistent copy of the database into `file` (better-sqlite3's backup API;
   * writers keep going). PostgreSQL: refused; use pg_dump.
   */
  backup(file: string): Promise<void>;
  close(): Promise<void>;
  observeTransactions(observer: TransactionObserver): void;
  transactionsInFlight(): number;
}

export interface SqliteOptions {
  /** Path of the database file; created with its folder on first open. */
  file: string;
  busyTimeoutMs?: number;
}

/**
 * Opens the embedded SQLite store: WAL journal, foreign keys enforced, busy timeout set. Writes
 * (transactions) go through one connection; reads outside a transaction through a second,
 * read-only one, which WAL lets run beside the writer and which sees every committed write. So a
 * validation never queues behind an open transaction, and its prepared queries run on the
 * reader's statements directly (`preparedQuery`).
 */
export function openSqliteStore(options: SqliteOptions): Store {
  // The database holds every customer's licenses: only the server's user may read it.
  mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
  const busyTimeout = `busy_timeout = ${String(options.busyTimeoutMs ?? 5000)}`;
  const connection = new SqliteDatabase(options.file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma(busyTimeout);
  connection.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(connection) }),
  });
  const reader = new SqliteDatabase(options.file, { readonly: true });
  reader.pragma(busyTimeout);
  const readerStatements = withStatementCache(reader);
  const readDb = new Kysely<Database>({
    dialect: new SqliteDialect({ database: readerStatements }),
  });
  directStatements.set(readDb, (sqlText) => readerStatements.prepare(sqlText));
  return createStore(
    db,
    'sqlite',
    async (file) => {
      mkdirSync(dirname(file), { recursive: true });
      await connection.backup(file);
    },
    readDb,
  );
}

/** A prepared better-sqlite3 statement, as `preparedQuery` runs it on the read connection. */
interface DirectStatement {
  all(...params: unknown[]): unknown[];
}

/**
 * Read connections whose statements a prepared query may run directly, synchronously: nothing
 * else ever runs on them between two statements, so no transaction can be interleaved.
 */
const directStatements = new WeakMap<object, (sqlText: string) => DirectStatement>();

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (libpq parameters such as `sslmode` allowed). */
  url: string;
  /** Connections in this process's pool (ENTITLE_DATABASE_POOL_SIZE). */
  poolSize?: number;
}

/**
 * `bigint` and `numeric` (sums of bigints) come back from pg as strings, to keep precision. Every
 * integer this store keeps is a safe JS integer (serials, micro-dollars, counters), so they are
 * parsed into numbers and API answers are the same as on SQLite; a value beyond 2^53 stays a
 * string rather than silently losing digits.
 */
const postgresTypes: pg.CustomTypesConfig = {
  getTypeParser: (oid, format) => {
    if (oid === pg.types.builtins.INT8) return safeInteger;
    if (oid === pg.types.builtins.NUMERIC) return Number;
    // pg-types declares its parsers as returning `any`: a parser's result is whatever pg gives.
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

function safeInteger(value: string): number | string {
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : value;
}

/** Opens a PostgreSQL store on a pool of `poolSize` connections (default 10). */
export function openPostgresStore(options: PostgresOptions): Store {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types: postgresTypes,
  });
  // A connection the server drops (restart, failover, pg_terminate_backend) must not crash the
  // process. Idle ones are reported on the pool; one checked out for a use case is reported on
  // its client, where nothing listens once the pool has lent it: that use case's query fails
  // instead, and the pool discards the broken client when it comes back.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  // The cursor lets a query stream its rows (an export of millions) instead of holding them all.
  const db = new Kysely<Database>({
    dialect: new PortablePostgresDialect({ pool, cursor: Cursor }),
  });
  return createStore(db, 'postgres', () =>
    Promise.reject(
      new Error('entitle backup copies a SQLite store; back PostgreSQL up with pg_dump'),
    ),
  );
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

/**
 * How many times a use case runs when PostgreSQL aborts it for a deadlock or a serialization
 * failure: the work is only database statements (outbound calls happen outside transactions), so
 * running it again from the start is safe.
 */
const TRANSACTION_ATTEMPTS = 5;

/** How long a client is asked to wait after the database could not serve (`Retry-After`). */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

/**
 * Driver failures the caller can act on, as domain errors. PostgreSQL text cannot hold U+0000
 * (SQLite's can): a request carrying one is refused as bad input (400), whichever parameter or
 * field it came in, rather than failing as a 500. A database that cannot serve now (connection
 * lost or refused, locked, full) is a 503 the client may retry: the use case's transaction did
 * not commit, or (a connection lost during COMMIT) the client's retry finds what it wrote.
 */
function translateDriverError(error: unknown): unknown {
  if (isUnavailable(error)) {
    return new Unavailable(
      'The database cannot serve this request right now; nothing was changed. Retry shortly.',
      UNAVAILABLE_RETRY_AFTER_SECONDS,
      { cause: error },
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === PG_CHARACTER_NOT_IN_REPERTOIRE || code === PG_UNTRANSLATABLE_CHARACTER) {
    return new InvalidParams(
      [{ name: 'text', reason: 'must not contain the NUL character (U+0000)' }],
      'A parameter or field contains the NUL character (U+0000), which is not accepted.',
    );
  }
  return error;
}

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === PG_DEADLOCK_DETECTED || code === PG_SERIALIZATION_FAILURE;
}

function createStore(db: Db, dialect: Dialect, backup: Store['backup'], readDb: Db = db): Store {
  const observers: TransactionObserver[] = [];
  let inFlight = 0;
  const runOnce = <T>(work: (tx: Tx) => Promise<T>) => db.transaction().execute(work);
  const run = async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await runOnce(work);
      } catch (error) {
        if (dialect !== 'postgres') throw translateDriverError(error);
        if (attempt >= TRANSACTION_ATTEMPTS || !isRetryable(error)) {
          throw translateDriverError(error);
        }
      }
    }
  };
  return {
    db,
    dialect,
    async transaction(useCase, work) {
      const started = process.hrtime.bigint();
      inFlight++;
      let outcome: 'commit' | 'rollback' = 'rollback';
      try {
        const result = await run(work);
        outcome = 'commit';
        return result;
      } finally {
        inFlight--;
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        for (const observe of observers) observe(useCase, seconds, outcome);
      }
    },
    read: (work) =>
      work(readDb).catch((error: unknown) => {
        throw translateDriverError(error);
      }),
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
    backup,
    close: async () => {
      await db.destroy();
      if (readDb !== db) await readDb.destroy();
    },
    observeTransactions(observer) {
      observers.push(observer);
    },
    transactionsInFlight: () => inFlight,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
