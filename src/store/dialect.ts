import {
  DataTypeNode,
  PostgresAdapter,
  PostgresDialect,
  PostgresQueryCompiler,
  sql,
  type ColumnDefinitionNode,
  type QueryCompiler,
  type QueryExecutor,
} from 'kysely';

/**
 * Every difference between SQLite and PostgreSQL that the repositories and migrations would
 * otherwise have to know, in one place.
 */
export type Dialect = 'sqlite' | 'postgres';

/** What the helpers need of a database or an open transaction. */
interface Connection {
  getExecutor(): QueryExecutor;
  readonly isTransaction: boolean;
}

/** The dialect a database or transaction speaks. */
export function dialectOf(db: Connection): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * Column types as the migrations write them (SQLite's) and what they become on PostgreSQL.
 * SQLite's INTEGER is 64-bit and its REAL a double: PostgreSQL's `integer` (32-bit) and `real`
 * (single precision) would lose serial numbers, micro-dollars, counters and usage values, so they
 * become `bigint` and `double precision`. The pool parses `bigint` back into JS numbers.
 */
const POSTGRES_TYPES: Readonly<Partial<Record<string, string>>> = {
  integer: 'bigint',
  real: 'double precision',
};

/**
 * PostgreSQL's compiler with SQLite's DDL vocabulary: the migrations stay written once, and an
 * existing SQLite database keeps exactly the DDL it was created with. An `autoIncrement()` integer
 * key becomes `bigserial` (PostgreSQL has no AUTOINCREMENT keyword).
 */
class PortablePostgresCompiler extends PostgresQueryCompiler {
  protected override visitDataType(node: DataTypeNode): void {
    this.append(POSTGRES_TYPES[node.dataType] ?? node.dataType);
  }

  protected override visitColumnDefinition(node: ColumnDefinitionNode): void {
    super.visitColumnDefinition(
      node.autoIncrement === true
        ? { ...node, autoIncrement: false, dataType: DataTypeNode.create('bigserial') }
        : node,
    );
  }
}

/** Kysely's PostgreSQL dialect, compiling through `PortablePostgresCompiler`. */
export class PortablePostgresDialect extends PostgresDialect {
  override createQueryCompiler(): QueryCompiler {
    return new PortablePostgresCompiler();
  }
}

/** PostgreSQL error codes the store reacts to. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
export const PG_SERIALIZATION_FAILURE = '40001';
export const PG_DEADLOCK_DETECTED = '40P01';
/** `invalid byte sequence for encoding "UTF8": 0x00`: text with U+0000. */
export const PG_CHARACTER_NOT_IN_REPERTOIRE = '22021';
export const PG_UNTRANSLATABLE_CHARACTER = '22P05';

/**
 * Runs `work` so that its failure leaves the enclosing transaction usable. SQLite rolls back just
 * the failed statement; PostgreSQL aborts the whole transaction, so there the work runs inside a
 * savepoint that is rolled back on failure. Use it where a caller catches a constraint violation
 * and carries on in the same transaction (e.g. drawing a fresh generated identifier).
 */
export async function recoverable<T>(db: Connection, work: () => Promise<T>): Promise<T> {
  if (!db.isTransaction || dialectOf(db) !== 'postgres') return work();
  await sql`savepoint entitle_recoverable`.execute(db);
  try {
    const result = await work();
    await sql`release savepoint entitle_recoverable`.execute(db);
    return result;
  } catch (error) {
    await sql`rollback to savepoint entitle_recoverable`.execute(db);
    throw error;
  }
}

/**
 * After rows were written with explicit values in an auto-increment key: moves PostgreSQL's
 * sequence past the largest key, so the next generated key is free (SQLite's AUTOINCREMENT takes
 * the largest key into account by itself). Never moves the sequence back.
 */
export async function advanceSerial(db: Connection, table: string, column: string): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  const seq = sql`pg_get_serial_sequence(${table}, ${column})`;
  await sql`select setval(${seq}, greatest(coalesce(max(${sql.ref(column)}), 0) + 1, nextval(${seq})), false) from ${sql.table(table)}`.execute(
    db,
  );
}
